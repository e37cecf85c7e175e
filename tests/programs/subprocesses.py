# Python starting processes: subprocess (run, check_output, Popen with pipes, shell=True),
# os.fork/waitpid, os.system, and multiprocessing (fork start method) with a Queue and shared Value.
import multiprocessing as mp
import os
import subprocess
import sys

print("true:", subprocess.run(["/bin/true"]).returncode)
print("false:", subprocess.run(["/bin/false"]).returncode)
print("echo:", subprocess.check_output(["echo", "hello", "world"], text=True).strip())
p = subprocess.run("echo out; echo err >&2; exit 4", shell=True, capture_output=True, text=True)
print("shell:", p.returncode, p.stdout.strip(), p.stderr.strip())
with subprocess.Popen(["sort"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as s:
    out, _ = s.communicate("pear\napple\nfig\n")
print("sort:", out.split(), s.returncode)
print("python child:", subprocess.check_output([sys.executable, "-c", "import sys; print(sys.argv[1:])", "a", "b"], text=True).strip())
try:
    subprocess.run(["/nonexistent/program"])
except FileNotFoundError as e:
    print("missing program:", type(e).__name__, e.errno)
pid = os.fork()
if pid == 0:
    os._exit(6)
print("fork:", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
print("system:", os.waitstatus_to_exitcode(os.system("exit 5")))


def work(q, total, n):
    with total.get_lock():
        total.value += n
    q.put(n * n)


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    q, total = ctx.Queue(), ctx.Value("i", 0)
    procs = [ctx.Process(target=work, args=(q, total, n)) for n in range(1, 4)]
    for pr in procs:
        pr.start()
    squares = sorted(q.get() for _ in procs)
    for pr in procs:
        pr.join()
    print("multiprocessing:", squares, total.value, [pr.exitcode for pr in procs])
