"""Memory bound of uploads: 32 concurrent 20 MiB uploads against a Hookpit binary.

Usage: python3 bench/upload_memory.py target/release/hookpit
Prints the server's RSS before, its peak (VmHWM) and its RSS 2 s after, and the errcodes.
Loopback only; the data directory is a fresh temporary one.
"""
import os, socket, subprocess, sys, tempfile, threading, time, json, urllib.request
binary = sys.argv[1]
data = tempfile.mkdtemp()
port = 18765
proc = subprocess.Popen([binary, "serve", "--data", data, "--listen", f"127.0.0.1:{port}"],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
key = None
deadline = time.time() + 30
while time.time() < deadline and key is None:
    line = proc.stdout.readline()
    if "key=" in line:
        key = line.split("key=")[1].split()[0].strip("'\"")
threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
def status(field):
    for line in open(f"/proc/{proc.pid}/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
before = status("VmRSS:")
payload = os.urandom(20 * 1024 * 1024 - 1024)
boundary = "hookpitprobe"
head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"big.bin\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n").encode()
tail = f"\r\n--{boundary}--\r\n".encode()
body_len = len(head) + len(payload) + len(tail)
results = []
def upload():
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall((f"POST /cgi-bin/webhook/upload_media?key={key}&type=file HTTP/1.1\r\nHost: x\r\n"
               f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {body_len}\r\n"
               "Connection: close\r\n\r\n").encode())
    s.sendall(head); s.sendall(payload); s.sendall(tail)
    answer = b""
    while True:
        chunk = s.recv(65536)
        if not chunk: break
        answer += chunk
    body = answer.split(b"\r\n\r\n", 1)[-1]
    try: results.append(json.loads(body)["errcode"])
    except Exception: results.append(("?", answer[:200]))
started = time.time()
threads = [threading.Thread(target=upload) for _ in range(32)]
[t.start() for t in threads]; [t.join() for t in threads]
elapsed = time.time() - started
time.sleep(2)
print(json.dumps({"rss_before_mb": round(before, 1), "peak_rss_mb": round(status("VmHWM:"), 1),
                  "rss_after_mb": round(status("VmRSS:"), 1), "seconds": round(elapsed, 2),
                  "errcodes": {str(c): [str(r) for r in results].count(str(c)) for c in set(map(str, results))}}))
proc.terminate(); proc.wait()
