"""TCP ends for the NAT lab's tunnel tests (run inside network namespaces).

  serve PORT           on 127.0.0.1:PORT; a connection starting with `S` gets the SHA-256 (hex)
                       of everything after it once it half-closes, one starting with `E` an
                       echo of every byte
  rtt PORT N           N one-byte round trips (an `E` connection); print {"p50_us", "p99_us"}

PORT may be HOST:PORT (any address) where a port alone means 127.0.0.1.
  many PORT N          N connections at once, each sending its own 64 KiB and checking the
                       SHA-256 that comes back; print {"ok": count, "failed": [reasons]}
  send PORT MEGABYTES  send that many pseudo-random megabytes to 127.0.0.1:PORT (retrying the
                       connect for 30 s), half-close, print {"sent": hex, "answer": text, "seconds": s};
                       "under way" on stderr once a megabyte is sent
"""

import hashlib
import json
import socket
import sys
import threading
import time


def address(text: str) -> tuple:
    host, _, port = text.rpartition(":")
    return (host or "127.0.0.1", int(port))


def serve(port: str) -> None:
    listener = socket.create_server(address(port))
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=answer, args=(conn,), daemon=True).start()


def answer(conn: socket.socket) -> None:
    mode = conn.recv(1)
    if mode == b"E":
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while byte := conn.recv(1):
            conn.sendall(byte)
        return
    digest = hashlib.sha256()
    while chunk := conn.recv(1 << 16):
        digest.update(chunk)
    conn.sendall(digest.hexdigest().encode())
    conn.close()


def connect(port: str) -> socket.socket:
    deadline = time.time() + 30
    while True:
        try:
            conn = socket.create_connection(address(port), timeout=120)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return conn
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


def rtt(port: str, count: int) -> None:
    conn = connect(port)
    conn.sendall(b"E")
    times = []
    for i in range(count + 100):
        started = time.perf_counter()
        conn.sendall(b"x")
        if conn.recv(1) != b"x":
            raise SystemExit("echo broke")
        if i >= 100:
            times.append(time.perf_counter() - started)
    times.sort()
    print(json.dumps({"p50_us": times[len(times) // 2] * 1e6, "p99_us": times[len(times) * 99 // 100] * 1e6}))


def send(port: str, megabytes: int) -> None:
    conn = connect(port)
    conn.sendall(b"S")
    block = hashlib.sha256(b"mpc-id").digest() * 2048  # 64 KiB
    digest = hashlib.sha256()
    started = time.time()
    error = None
    try:
        for i in range(megabytes * 16):
            conn.sendall(block)
            digest.update(block)
            if i == 16:
                # A megabyte is through: a test waiting for the transfer to be under way goes on.
                print("under way", file=sys.stderr, flush=True)
        conn.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := conn.recv(4096):
            received += chunk
    except OSError as e:
        error = str(e)
        received = b""
    print(json.dumps({"sent": digest.hexdigest(), "answer": received.decode(errors="replace"),
                      "error": error, "seconds": time.time() - started}))


def many(port: str, count: int) -> None:
    results = [None] * count

    def one(i: int) -> None:
        payload = hashlib.sha256(str(i).encode()).digest() * 2048
        try:
            conn = socket.create_connection(address(port), timeout=120)
            conn.sendall(b"S" + payload)
            conn.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := conn.recv(4096):
                answer += chunk
            results[i] = "ok" if answer.decode() == hashlib.sha256(payload).hexdigest() else "wrong answer"
        except OSError as e:
            results[i] = str(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"ok": results.count("ok"), "failed": [r for r in results if r != "ok"]}))


if __name__ == "__main__":
    mode, port = sys.argv[1], sys.argv[2]
    if mode == "serve":
        serve(port)
    elif mode == "rtt":
        rtt(port, int(sys.argv[3]))
    elif mode == "many":
        many(port, int(sys.argv[3]))
    else:
        send(port, int(sys.argv[3]))
