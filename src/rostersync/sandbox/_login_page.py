"""Plain HTML pages of the sandbox's Clever-style sign-in."""

from __future__ import annotations

from html import escape

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;color:#1b2330}"
    "input{display:block;width:100%;margin:.3rem 0 1rem;padding:.5rem}"
    "button{padding:.5rem 1.2rem;margin-right:.5rem}.error{color:#b00020}"
    "code{background:#eef;padding:0 .2rem}"
)
# Authorize parameters carried through the form unchanged.
CARRIED = ("response_type", "client_id", "redirect_uri", "state", "nonce", "scope", "district_id")


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def login_page(params: dict[str, str], error: str | None, examples: list[tuple[str, str]]) -> str:
    """The sign-in form; credentials are a student_number, teacher_number or staff_id."""
    hidden = "".join(
        f"<input type='hidden' name='{name}' value='{escape(params[name], quote=True)}'>"
        for name in CARRIED
        if params.get(name)
    )
    problem = f"<p class='error'>{escape(error)}</p>" if error else ""
    hints = "".join(
        f"<li>{escape(label)}: <code>{escape(name)}</code></li>" for label, name in examples
    )
    body = (
        "<h1>Log in with Clever (sandbox)</h1>"
        f"{problem}<form method='post' action='/oauth/authorize'>{hidden}"
        "<label>Username<input name='username' autocomplete='username'></label>"
        "<label>Password<input name='password' type='password'></label>"
        "<button type='submit' name='action' value='approve'>Log in</button>"
        "<button type='submit' name='action' value='deny'>Deny</button></form>"
        "<p>Use a student number, teacher number or staff id as both username and password"
        f" (a Clever user id works too).</p><ul>{hints}</ul>"
    )
    return _page("Clever sandbox login", body)


def error_page(message: str) -> str:
    return _page("Clever sandbox: bad request", f"<h1>Bad request</h1><p>{escape(message)}</p>")
