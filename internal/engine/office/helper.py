# Conversion helper for the gateway's office engine.
#
# One helper drives one soffice process over a UNO pipe. The Go side writes
# one JSON request per line on stdin and reads JSON lines on stdout:
#
#   {"id": 1, "op": "convert", "in": "/a.docx", "out": "/a.pdf", ...}
#   {"id": 1, "progress": 50}
#   {"id": 1, "ok": true, "pages": 2, "ms": 41}
#   {"id": 1, "ok": false, "kind": "input", "error": "..."}
#
# kind is "input" when the document is at fault (soffice is still fine),
# "crash" when the connection to soffice is gone (the helper then exits), and
# "internal" for anything else. Nothing but protocol lines is written to
# stdout; diagnostics go to stderr.
import json
import os
import sys
import tempfile
import time
import traceback

import uno
import unohelper  # noqa: F401  (registers the Python loader)
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.lang import DisposedException, IllegalArgumentException
from com.sun.star.io import IOException
from com.sun.star.task import ErrorCodeIOException

# MacroExecMode.NEVER_EXECUTE and UpdateDocMode.NO_UPDATE; plain ints keep
# the import list short and are what the API expects.
NEVER_EXECUTE = 0
NO_UPDATE = 0

PDF_FILTERS = {
    "writer": "writer_pdf_Export",
    "calc": "calc_pdf_Export",
    "impress": "impress_pdf_Export",
    "draw": "draw_pdf_Export",
}


def prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def props(d):
    return tuple(prop(k, v) for k, v in d.items())


def send(msg):
    sys.stdout.write(json.dumps(msg, separators=(",", ":")) + "\n")
    sys.stdout.flush()


class Crash(Exception):
    pass


def is_bridge_error(exc):
    if isinstance(exc, DisposedException):
        return True
    text = str(exc)
    low = text.lower()
    return "binary urp bridge" in low or ("disposed" in low and "bridge" in low)


def connect(pipe, timeout):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout
    while True:
        try:
            ctx = resolver.resolve(
                "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            break
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            # soffice creates the pipe a few hundred ms after it starts;
            # there is no event to wait for from here.
            time.sleep(0.01)
    smgr = ctx.ServiceManager
    desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    return ctx, desktop


def product_version(ctx):
    try:
        cp = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.configuration.ConfigurationProvider", ctx)
        access = cp.createInstanceWithArguments(
            "com.sun.star.configuration.ConfigurationAccess",
            (prop("nodepath", "/org.openoffice.Setup/Product"),))
        return "%s %s" % (access.getByName("ooName"),
                          access.getByName("ooSetupVersionAboutBox"))
    except Exception:
        return ""


def family(doc):
    if doc.supportsService("com.sun.star.text.TextDocument") or \
            doc.supportsService("com.sun.star.text.WebDocument"):
        return "writer"
    if doc.supportsService("com.sun.star.sheet.SpreadsheetDocument"):
        return "calc"
    if doc.supportsService("com.sun.star.presentation.PresentationDocument"):
        return "impress"
    if doc.supportsService("com.sun.star.drawing.DrawingDocument"):
        return "draw"
    return ""


def page_count(doc, fam, filter_data):
    """The number of pages a PDF export of the whole document would have."""
    if fam == "impress" or fam == "draw":
        pages = doc.getDrawPages()
        n = 0
        hidden_too = bool(filter_data.get("ExportHiddenSlides"))
        for i in range(pages.getCount()):
            page = pages.getByIndex(i)
            visible = True
            if fam == "impress":
                try:
                    visible = page.getPropertyValue("Visible")
                except Exception:
                    visible = True
            if visible or hidden_too:
                n += 1
        return n
    return doc.getRendererCount(doc, ())


def select_pages(ranges, total):
    """ranges are [first, last] pairs from Go, last 0 meaning "to the end".
    Returns the LibreOffice PageRange string and how many pages it selects."""
    chosen = set()
    parts = []
    for first, last in ranges:
        if last == 0:
            last = total
        lo, hi = max(first, 1), min(last, total)
        if lo > hi:
            continue
        chosen.update(range(lo, hi + 1))
        parts.append("%d-%d" % (lo, hi) if lo != hi else "%d" % lo)
    return ",".join(parts), len(chosen)


class Helper:
    def __init__(self, pipe):
        self.pipe = pipe
        self.ctx = None
        self.desktop = None

    def start(self, timeout):
        self.ctx, self.desktop = connect(self.pipe, timeout)
        return product_version(self.ctx)

    def check_alive(self, exc):
        """Raises Crash when exc came from soffice dying rather than from
        the document: a dying soffice can fail a load with an I/O error."""
        if is_bridge_error(exc):
            raise Crash(str(exc))
        try:
            self.desktop.getComponents()
        except Exception as e:
            raise Crash("soffice is gone after %s: %s" % (type(exc).__name__, e))

    def load(self, path, req):
        media = {
            "Hidden": True,
            "ReadOnly": True,
            "MacroExecutionMode": NEVER_EXECUTE,
            "UpdateDocMode": NO_UPDATE,
            # An untrusted referrer makes BlockUntrustedRefererLinks (set in
            # the profile) refuse linked images and other external content.
            "Referer": "private:gateway-untrusted",
            "Silent": True,
        }
        if req.get("import_filter"):
            media["FilterName"] = req["import_filter"]
        if req.get("import_options"):
            media["FilterOptions"] = req["import_options"]
        if req.get("password"):
            media["Password"] = req["password"]
        url = uno.systemPathToFileUrl(os.path.abspath(path))
        try:
            doc = self.desktop.loadComponentFromURL(url, "_blank", 0, props(media))
        except (IllegalArgumentException, IOException, ErrorCodeIOException) as e:
            self.check_alive(e)
            raise InputError("the document could not be read")
        if doc is None:
            raise InputError("the document could not be read")
        return doc

    def convert(self, req):
        started = time.monotonic()
        rid = req.get("id")
        doc = self.load(req["in"], req)
        try:
            send({"id": rid, "progress": 50})
            fam = family(doc)
            filter_data = dict(req.get("filter_data") or {})
            pages = 0
            if req.get("pdf"):
                if fam not in PDF_FILTERS:
                    raise InputError("this kind of document cannot be exported to PDF")
                export_filter = PDF_FILTERS[fam]
                total = page_count(doc, fam, filter_data)
                pages = total
                if req.get("pages"):
                    page_range, pages = select_pages(req["pages"], total)
                    if pages == 0:
                        raise InputError(
                            "the requested pages are out of range: the document has %d page%s"
                            % (total, "" if total == 1 else "s"))
                    filter_data["PageRange"] = page_range
            else:
                families = req.get("families") or []
                if families and fam not in families:
                    raise InputError("a %s document cannot be saved in this format" % (fam or "unknown"))
                export_filter = req["export_filter"]
            store = {"FilterName": export_filter, "Overwrite": True}
            if filter_data:
                store["FilterData"] = uno.Any(
                    "[]com.sun.star.beans.PropertyValue", props(filter_data))
            if req.get("export_options"):
                store["FilterOptions"] = req["export_options"]
            url = uno.systemPathToFileUrl(os.path.abspath(req["out"]))
            try:
                doc.storeToURL(url, props(store))
            except (IOException, ErrorCodeIOException, IllegalArgumentException) as e:
                self.check_alive(e)
                raise InputError("the document could not be saved in the requested format")
        finally:
            try:
                doc.close(True)
            except Exception as e:
                if is_bridge_error(e):
                    raise Crash(str(e))
        return {"pages": pages, "ms": int((time.monotonic() - started) * 1000)}

    def warm(self):
        """Load and export one document of each kind so the first user job
        does not pay for loading the Writer, Calc and Impress libraries."""
        started = time.monotonic()
        tmp = tempfile.mkdtemp(prefix="office-warm-")
        try:
            for kind, fam in (("swriter", "writer"), ("scalc", "calc"), ("simpress", "impress")):
                doc = self.desktop.loadComponentFromURL(
                    "private:factory/" + kind, "_blank", 0, props({"Hidden": True}))
                try:
                    if fam == "writer":
                        doc.getText().setString("warm")
                    out = uno.systemPathToFileUrl(os.path.join(tmp, fam + ".pdf"))
                    doc.storeToURL(out, props({"FilterName": PDF_FILTERS[fam], "Overwrite": True}))
                finally:
                    doc.close(True)
        finally:
            for name in os.listdir(tmp):
                os.unlink(os.path.join(tmp, name))
            os.rmdir(tmp)
        return {"ms": int((time.monotonic() - started) * 1000)}


class InputError(Exception):
    pass


def main():
    pipe = sys.argv[1]
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 60
    helper = Helper(pipe)
    try:
        version = helper.start(timeout)
    except Exception as e:
        send({"ready": False, "error": "connect to soffice: %s" % e})
        return 1
    send({"ready": True, "version": version})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        rid = None
        try:
            req = json.loads(line)
            rid = req.get("id")
            op = req.get("op")
            if op == "ping":
                helper.desktop.getComponents()
                res = {}
            elif op == "warm":
                res = helper.warm()
            elif op == "convert":
                res = helper.convert(req)
            else:
                raise ValueError("unknown op %r" % op)
            res.update({"id": rid, "ok": True})
            send(res)
        except InputError as e:
            send({"id": rid, "ok": False, "kind": "input", "error": str(e)})
        except Crash as e:
            send({"id": rid, "ok": False, "kind": "crash", "error": str(e)})
            return 2
        except Exception as e:
            if is_bridge_error(e):
                send({"id": rid, "ok": False, "kind": "crash", "error": str(e)})
                return 2
            traceback.print_exc(file=sys.stderr)
            send({"id": rid, "ok": False, "kind": "internal", "error": "%s: %s" % (type(e).__name__, e)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
