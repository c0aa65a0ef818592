"""TCP ends for the NAT lab's tunnel tests (run inside network namespaces).

  serve PORT           on 127.0.0.1:PORT, answer each connection with the SHA-256 (hex) of
                       everything it sent, after it half-closes
  send PORT MEGABYTES  send that many pseudo-random megabytes to 127.0.0.1:PORT (retrying the
                       connect for 30 s), half-close, print {"sent": hex, "answer": text, "seconds": s}
"""

import hashlib
import json
import socket
import sys
import threading
import time


def serve(port: int) -> None:
    listener = socket.create_server(("127.0.0.1", port))
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=answer, args=(conn,), daemon=True).start()


def answer(conn: socket.socket) -> None:
    digest = hashlib.sha256()
    while chunk := conn.recv(1 << 16):
        digest.update(chunk)
    conn.sendall(digest.hexdigest().encode())
    conn.close()


def send(port: int, megabytes: int) -> None:
    deadline = time.time() + 30
    while True:
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=120)
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)
    block = hashlib.sha256(b"mpc-id").digest() * 2048  # 64 KiB
    digest = hashlib.sha256()
    started = time.time()
    error = None
    try:
        for _ in range(megabytes * 16):
            conn.sendall(block)
            digest.update(block)
        conn.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := conn.recv(4096):
            received += chunk
    except OSError as e:
        error = str(e)
        received = b""
    print(json.dumps({"sent": digest.hexdigest(), "answer": received.decode(errors="replace"),
                      "error": error, "seconds": time.time() - started}))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        send(int(sys.argv[2]), int(sys.argv[3]))
