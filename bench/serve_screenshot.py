"""Screenshot of the `unspin serve` page for the README (docs/img/serve.png).

Starts `unspin serve` on a free loopback port, pastes a text into the page in Debian's Chromium (through
Playwright, no browser download), checks it, opens the tooltip of one flagged span with the keyboard and
saves the window; with --diff also the restored-text diff.

    python bench/serve_screenshot.py examples/spun_article.txt --out docs/img/serve.png
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("text", type=Path)
    ap.add_argument("--out", type=Path, default=Path("docs/img/serve.png"))
    ap.add_argument("--diff-out", type=Path, default=None, help="also save the diff view here")
    ap.add_argument("--threshold", type=float, default=None, help="unspin serve --threshold (default: calibrated)")
    ap.add_argument("--model", default="default")
    ap.add_argument("--span", type=int, default=0, help="which flagged span shows its tooltip")
    ap.add_argument("--width", type=int, default=1000)
    ap.add_argument("--height", type=int, default=760)
    ap.add_argument("--full-page", action="store_true", help="the whole page, not just the window")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [str(Path(sys.executable).with_name("unspin")), "serve", "--port", str(port), "--model", args.model,
           "--log-level", "warning"]
    if args.threshold is not None:
        cmd += ["--threshold", str(args.threshold)]
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                httpx.get(base + "/api/health", timeout=1)
                break
            except httpx.HTTPError:
                if time.time() > deadline or proc.poll() is not None:
                    sys.exit("server did not start")
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.goto(base + "/")
            page.fill("#text", args.text.read_text(encoding="utf-8"))
            page.press("#text", "Control+Enter")
            page.wait_for_selector("#result:not([hidden])")
            page.wait_for_function("() => document.getElementById('message').textContent.startsWith('Checked')")
            marks = page.locator("#annotated mark.span")
            n = marks.count()
            if n:
                marks.nth(min(args.span, n - 1)).focus()
            # the header, the verdict and the highlighted text in one window: scroll the text box away
            page.evaluate("""() => {
                window.scrollTo(0, document.getElementById('result').offsetTop - 8);
                const m = document.activeElement;  // keep the focused span and its tooltip in the window
                if (m && m.matches('mark') && m.getBoundingClientRect().bottom > window.innerHeight - 80)
                    m.scrollIntoView({block: 'center'});
            }""")
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out), full_page=args.full_page)
            print(f"{args.out}: {n} spans flagged", file=sys.stderr)
            if args.diff_out:
                page.focus("#diff-toggle")
                page.keyboard.press("Enter")
                page.wait_for_function("() => document.getElementById('diff-toggle').getAttribute('aria-pressed') === 'true'")
                page.wait_for_selector("#diff", state="visible")
                page.screenshot(path=str(args.diff_out), full_page=args.full_page)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
