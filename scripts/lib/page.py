#!/usr/bin/env python3
"""Opens a page in headless Chromium and waits until it has rendered what a person would look at.

    page.py URL --until JS [--dom FILE] [--screenshot FILE] [--seconds N] [--size WxH]

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON messages
separated by NUL bytes on file descriptors 3 and 4), so nothing listens on a port. Polls the
JavaScript expression JS in the page until it is true (at most N seconds, 60 by default), then
writes the rendered DOM (outerHTML) and a PNG screenshot. Exit 0 when JS became true, 1 when it did
not (the DOM and screenshot are still written, to show why), 2 when Chromium cannot be started.
"""
import argparse, base64, json, os, shutil, subprocess, sys, tempfile, time

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('url')
    ap.add_argument('--until', required=True)
    ap.add_argument('--dom')
    ap.add_argument('--screenshot')
    ap.add_argument('--seconds', type=float, default=60)
    ap.add_argument('--size', default='1200x900')
    a = ap.parse_args()
    chromium = shutil.which('chromium') or shutil.which('chromium-browser')
    if not chromium:
        print('page.py: chromium is missing: apt-get install chromium', file=sys.stderr)
        return 2
    width, height = (int(v) for v in a.size.split('x'))
    profile = tempfile.mkdtemp(prefix='page-chromium.')
    to_browser_r, to_browser_w = os.pipe()
    from_browser_r, from_browser_w = os.pipe()
    # Chromium reads commands on fd 3 and writes answers on fd 4. Moved out of the way first, so that
    # neither dup2 overwrites the other pipe's end; dup2 makes them inheritable.
    def child_fds():
        r, w = os.dup(to_browser_r), os.dup(from_browser_w)
        os.dup2(r, 3)
        os.dup2(w, 4)
    args = [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
            '--no-default-browser-check', '--disable-extensions', '--disable-background-networking',
            '--remote-debugging-pipe', '--user-data-dir=' + profile, '--window-size=%d,%d' % (width, height),
            'about:blank']
    browser = subprocess.Popen(args, preexec_fn=child_fds, close_fds=False,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(to_browser_r)
    os.close(from_browser_w)
    out = os.fdopen(to_browser_w, 'wb', buffering=0)
    inp = os.fdopen(from_browser_r, 'rb', buffering=0)
    buf = b''
    ids = [0]
    deadline = time.monotonic() + a.seconds + 30

    def call(method, params=None, session=None):
        nonlocal buf
        ids[0] += 1
        msg = {'id': ids[0], 'method': method, 'params': params or {}}
        if session:
            msg['sessionId'] = session
        out.write(json.dumps(msg).encode() + b'\0')
        while True:
            while b'\0' not in buf:
                if time.monotonic() > deadline:
                    raise TimeoutError('Chromium did not answer ' + method)
                chunk = inp.read(65536)
                if not chunk:
                    raise EOFError('Chromium went away during ' + method)
                buf += chunk
            raw, buf = buf.split(b'\0', 1)
            reply = json.loads(raw)
            if reply.get('id') == ids[0]:
                if 'error' in reply:
                    raise RuntimeError(method + ': ' + json.dumps(reply['error']))
                return reply['result']

    ok = False
    try:
        target = call('Target.createTarget', {'url': 'about:blank'})['targetId']
        session = call('Target.attachToTarget', {'targetId': target, 'flatten': True})['sessionId']
        call('Emulation.setDeviceMetricsOverride', {'width': width, 'height': height, 'deviceScaleFactor': 1,
                                                    'mobile': False}, session)
        call('Page.enable', {}, session)
        call('Page.navigate', {'url': a.url}, session)
        until = time.monotonic() + a.seconds
        while time.monotonic() < until:
            r = call('Runtime.evaluate', {'expression': '!!(' + a.until + ')', 'returnByValue': True}, session)
            if r.get('result', {}).get('value') is True:
                ok = True
                break
            time.sleep(0.5)
        if a.dom:
            r = call('Runtime.evaluate', {'expression': 'document.documentElement.outerHTML', 'returnByValue': True}, session)
            with open(a.dom, 'w') as f:
                f.write(r['result'].get('value', ''))
        if a.screenshot:
            shot = call('Page.captureScreenshot', {'format': 'png', 'captureBeyondViewport': False}, session)
            with open(a.screenshot, 'wb') as f:
                f.write(base64.b64decode(shot['data']))
        try:
            call('Browser.close')
        except (EOFError, RuntimeError):
            pass
    except (TimeoutError, EOFError, RuntimeError) as e:
        print('page.py: ' + str(e), file=sys.stderr)
    finally:
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()
        shutil.rmtree(profile, ignore_errors=True)
    if not ok:
        print('page.py: %s did not show (%s) within %g s' % (a.url, a.until, a.seconds), file=sys.stderr)
    return 0 if ok else 1

if __name__ == '__main__':
    sys.exit(main())
