# A python3 workout for km: the standard library's common modules, threads and a loopback socket
# server, each printing only deterministic results (run natively and under km, compared).
import datetime, decimal, hashlib, json, os, socket, sqlite3, threading, zlib

d = {"b": [1, 2.5, None, True], "a": {"nested": "ünï"}}
s = json.dumps(d, sort_keys=True, ensure_ascii=False)
print("json:", s, json.loads(s) == d)
print("sha256:", hashlib.sha256(b"kontain" * 1000).hexdigest())
print("md5:", hashlib.md5(b"").hexdigest())
data = bytes(range(256)) * 400
z = zlib.compress(data, 9)
print("zlib:", len(data), zlib.decompress(z) == data, zlib.crc32(data))
print("datetime:", datetime.date(2026, 12, 1) + datetime.timedelta(days=45), datetime.datetime(2020, 2, 29, 12).isoformat())
print("decimal:", decimal.Decimal(1) / decimal.Decimal(7))

# sqlite in memory and in a file in the working directory
for target in (":memory:", "test.db"):
    con = sqlite3.connect(target)
    con.execute("create table t(k integer primary key, v text)")
    con.executemany("insert into t(v) values (?)", [(f"row{i}",) for i in range(500)])
    con.commit()
    print("sqlite", target, con.execute("select count(*), sum(k), max(v) from t").fetchone())
    con.close()

# threads sharing a lock
total = 0
lock = threading.Lock()
def work(n):
    global total
    for i in range(n):
        with lock:
            total += i
ts = [threading.Thread(target=work, args=(2000,)) for _ in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print("threads:", total)

# a TCP echo server on loopback in a thread, and a client
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(4)
port = srv.getsockname()[1]
def serve():
    for _ in range(3):
        c, _ = srv.accept()
        with c:
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = c.recv(65536)
                if not chunk: break
                buf += chunk
            c.sendall(hashlib.sha1(buf).hexdigest().encode() + b"\n")
st = threading.Thread(target=serve)
st.start()
for i in range(3):
    with socket.create_connection(("127.0.0.1", port)) as c:
        msg = (f"message {i} " * (1000 * (i + 1))).encode() + b"\n"
        c.sendall(msg)
        reply = c.makefile().readline().strip()
        print("echo", i, reply == hashlib.sha1(msg).hexdigest())
st.join()
srv.close()

# the working directory as seen by os.scandir
os.mkdir("sub")
with open(os.path.join("sub", "f.txt"), "w") as f: f.write("x" * 123)
print("scandir:", sorted((e.name, e.is_dir()) for e in os.scandir(".")))
print("stat:", os.stat("sub/f.txt").st_size)
