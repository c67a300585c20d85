"""Saying that something is new: a webhook POST (JSON with a Slack-compatible ``text`` field, the diff beside it)
and an e-mail over SMTP (the diff as text, and as JSON attached). A receiver that does not answer is one line
in the crawl's output, never a failed crawl."""

from __future__ import annotations

import json
import os
import smtplib
import urllib.request
from email.message import EmailMessage

from auditor.crawl.diff import Diff


def payload(diff: Diff, crawl: str) -> dict:
    return {"text": diff.text(limit=20), "crawl": crawl, "run": diff.after, "previous_run": diff.before,
            "summary": {"new": len(diff.new), "fixed": len(diff.fixed), "persisting": len(diff.persisting),
                        "new_errors": len(diff.new_errors)},
            "diff": diff.as_dict()}


def webhook(url: str, diff: Diff, crawl: str, timeout: float = 15.0) -> None:
    """POST the diff as JSON; raises OSError (with the reason) when the receiver refuses or does not answer."""
    if not url.startswith(("http://", "https://")):
        raise OSError(f"webhook {url!r}: not an http(s) address")
    body = json.dumps(payload(diff, crawl), ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8",
                                          "User-Agent": "consent-auditor"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (http(s) only)
            if resp.status >= 300:
                raise OSError(f"webhook {url}: HTTP {resp.status}")
    except urllib.error.HTTPError as exc:
        raise OSError(f"webhook {url}: HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise OSError(f"webhook {url}: {exc.reason}") from None


def email(settings: dict, diff: Diff, crawl: str, timeout: float = 30.0) -> None:
    """Send the diff by e-mail as ``settings`` ([crawl.notify.smtp]) says; raises OSError on failure."""
    msg = EmailMessage()
    msg["Subject"] = f"consent-auditor {crawl}: {len(diff.new)} new, {len(diff.fixed)} fixed (run {diff.after})"
    msg["From"] = settings.get("from") or "consent-auditor@localhost"
    msg["To"] = ", ".join(settings["to"])
    msg.set_content(diff.text(limit=200) + "\n")
    msg.add_attachment(json.dumps(diff.as_dict(), indent=2, ensure_ascii=False).encode("utf-8"),
                       maintype="application", subtype="json", filename=f"diff-run-{diff.after}.json")
    host, port = settings["host"], int(settings.get("port", 25))
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            if settings.get("starttls"):
                smtp.starttls()
            user = os.environ.get(settings.get("username-env") or "", "")
            if user:
                smtp.login(user, os.environ.get(settings.get("password-env") or "", ""))
            smtp.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise OSError(f"e-mail via {host}:{port}: {exc}") from None


def notify(settings: dict, diff: Diff, crawl: str) -> list[str]:
    """Send what ``settings`` ([crawl.notify]) asks when something is new; returns one line per failure."""
    if not diff.new and not diff.new_errors:
        return []
    failures = []
    if settings.get("webhook"):
        try:
            webhook(settings["webhook"], diff, crawl)
        except OSError as exc:
            failures.append(str(exc))
    if settings.get("smtp"):
        try:
            email(settings["smtp"], diff, crawl)
        except OSError as exc:
            failures.append(str(exc))
    return failures
