{
  "targets": [
    {
      "target_name": "km_native",
      "sources": ["native/km_native.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
