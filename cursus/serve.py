"""``cursus serve``: preview the website on 127.0.0.1, rebuilding and reloading on every source change."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import click
import jinja2

from cursus.build import build
from cursus.builders import BuildOptions
from cursus.diagnostics import CursusError
from cursus.templating import BUILTIN

PREFIX = "/_cursus/"
RELOAD_SCRIPT = PREFIX + "reload.js"
STATUS = PREFIX + "status"


@dataclass
class Preview:
    """What the server tells open pages: the build's generation and the errors of the last build."""

    generation: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def status(self) -> bytes:
        """Return the status as JSON for the reload script."""
        with self.lock:
            return json.dumps({"generation": self.generation, "errors": self.errors}).encode("utf-8")

    def update(self, errors: list[str]) -> None:
        """Record the outcome of a build; a successful one makes open pages reload."""
        with self.lock:
            self.errors = errors
            if not errors:
                self.generation += 1


def serve(course_dir: Path, out_dir: Path, port: int) -> None:
    """Build the web version, serve it on 127.0.0.1:*port* and rebuild whenever a source changes."""
    import watchfiles

    course_dir, out_dir = Path(course_dir), Path(out_dir)
    preview = Preview()
    # The port first: one already in use is reported at once, not after a first build.
    server = make_server(out_dir / "web", port, preview)
    try:
        rebuild(course_dir, out_dir, preview)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        click.echo(f"Serving {course_dir} at http://127.0.0.1:{server.server_port}/ (Ctrl+C to stop)", err=True)
        try:
            for _ in watchfiles.watch(course_dir, watch_filter=functools.partial(_is_source, out_dir.resolve())):
                rebuild(course_dir, out_dir, preview)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
    finally:
        server.server_close()


def _is_source(out_dir: Path, change, path: str) -> bool:
    """Tell whether a changed path is a course source rather than output or editor litter."""
    resolved = Path(path).resolve()
    if resolved == out_dir or out_dir in resolved.parents:
        return False
    return not any(part.startswith(".") for part in resolved.parts) and not path.endswith("~")


def rebuild(course_dir: Path, out_dir: Path, preview: Preview) -> None:
    """Build the web version; report a source error in the terminal and to open pages, never raise it."""
    options = BuildOptions(extra={"live_reload": RELOAD_SCRIPT})
    try:
        build(course_dir, out_dir, ["web"], options)
    except CursusError as error:
        diagnostics = getattr(error, "diagnostics", None)
        messages = [str(item) for item in diagnostics.errors + diagnostics.warnings] if diagnostics else []
        messages.append(error.format_message())
        for message in messages:
            click.secho(message, fg="red", err=True)
        preview.update(messages)
    else:
        click.echo("Rebuilt the web version.", err=True)
        preview.update([])


def make_server(root: Path, port: int, preview: Preview) -> http.server.ThreadingHTTPServer:
    """Return an HTTP server on 127.0.0.1 for the built site plus the preview's own endpoints."""
    handler = functools.partial(PreviewHandler, preview=preview, directory=str(root))
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise CursusError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None


class PreviewHandler(http.server.SimpleHTTPRequestHandler):
    """Serve the built site, the reload script and the build status, never from a cache."""

    def __init__(self, *args, preview: Preview, **kwargs):
        self.preview = preview
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == STATUS:
            self._send(200, "application/json", self.preview.status())
        elif path == RELOAD_SCRIPT:
            self._send(200, "text/javascript; charset=utf-8", (BUILTIN / "static" / "reload.js").read_bytes())
        elif not Path(self.translate_path(path)).exists() and self.preview.errors:
            self._send(503, "text/html; charset=utf-8", _error_page(self.preview.errors))
        else:
            super().do_GET()

    def _send(self, code: int, content_type: str, data: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        """Keep the terminal for build messages."""


def _error_page(errors: list[str]) -> bytes:
    """Return the page shown when no build has succeeded yet."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(BUILTIN)), autoescape=True, undefined=jinja2.StrictUndefined)
    return env.get_template("web/serve-error.html").render(errors=errors, reload=RELOAD_SCRIPT).encode("utf-8")
