"""Serves this directory over HTTP on port 8000 (PORT overrides it).

Inside the sandbox:  python3 ~/demo/serve.py
Create the container with a port mapping, e.g. pocket-dock's `ports: { 8080: 8000 }`,
then open http://localhost:8080 on the host.
"""

import functools
import http.server
import os
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
PORT = int(os.environ.get("PORT", "8000"))

if __name__ == "__main__":
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(HERE))
    with http.server.ThreadingHTTPServer(("0.0.0.0", PORT), handler) as server:
        print(f"pocket-dock demo: serving {HERE} on port {PORT} (Ctrl-C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
