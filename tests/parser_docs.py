# SPDX-License-Identifier: MIT
"""Documents for tests/test-parsers.py, generated so the suite needs no binary fixtures: XML
for xmllint (well-formed, malformed, DTDs, entities, an external entity naming a host file)
and PDFs for pdftotext (valid, truncated, wrong xref, broken and looping streams, encrypted).
Each function returns {name: bytes}."""
import hashlib
import zlib


# ---- XML ---------------------------------------------------------------------------------

def xml_documents(secret_path):
    """The documents whose output must be the same inside and outside the sandbox. None of
    them reaches outside itself; the ones that do are xml_external()."""
    big_text = "x" * (3 * 1024 * 1024)          # a long text node: realloc() moves it (mremap)
    items = "".join(f'<item n="{i}">text {i} &amp; more</item>\n' for i in range(20000))
    laughs = ['<!ENTITY l0 "ha">'] + [f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">'
                                      for i in range(1, 10)]
    return {
        "plain.xml": b'<?xml version="1.0"?>\n<a x="1"><b>text</b><!-- c --><?pi d?>'
                     b'<c><![CDATA[<raw> & ]]></c><d/></a>\n',
        "utf8.xml": '<?xml version="1.0" encoding="UTF-8"?><t>gr\u00fc\u00dfe \u65e5\u672c '
                    '\U0001f600</t>'.encode(),
        "latin1.xml": b'<?xml version="1.0" encoding="ISO-8859-1"?><t>caf\xe9</t>',
        "namespaces.xml": b'<r xmlns="urn:a" xmlns:b="urn:b"><b:x b:y="1"/><z/></r>',
        "many.xml": f"<root>\n{items}</root>\n".encode(),
        "bigtext.xml": f"<root><t>{big_text}</t></root>\n".encode(),
        "dtd.xml": b'<?xml version="1.0"?>\n<!DOCTYPE a [\n<!ELEMENT a (b+)>\n'
                   b'<!ELEMENT b (#PCDATA)>\n<!ATTLIST b kind CDATA "default">\n]>\n'
                   b'<a><b>one</b><b kind="x">two</b></a>\n',
        "invalid.xml": b'<?xml version="1.0"?>\n<!DOCTYPE a [\n<!ELEMENT a (b)>\n'
                       b'<!ELEMENT b EMPTY>\n]>\n<a><c/></a>\n',
        "entities.xml": b'<?xml version="1.0"?>\n<!DOCTYPE a [\n<!ENTITY who "world">\n'
                        b'<!ENTITY greet "hello &who;">\n]>\n<a>&greet; &amp; &#x263a;</a>\n',
        "laughs.xml": ("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n" + "\n".join(laughs) +
                       "\n]>\n<lolz>&l9;</lolz>\n").encode(),
        "loop.xml": b'<?xml version="1.0"?>\n<!DOCTYPE a [\n<!ENTITY x "&y;">\n'
                    b'<!ENTITY y "&x;">\n]>\n<a>&x;</a>\n',
        "unclosed.xml": b"<a><b>text</a>\n",
        "undefined-entity.xml": b"<a>&nope;</a>\n",
        "bad-char.xml": b"<a>\x01</a>\n",
        "truncated.xml": b'<?xml version="1.0"?>\n<a><b attr="va',
        "two-roots.xml": b"<a/><b/>\n",
        "empty.xml": b"",
        "not-xml.xml": b"%PDF-1.4 this is not xml\n",
        "bad-encoding.xml": b'<?xml version="1.0" encoding="UTF-8"?><t>\xff\xfe</t>',
    }


def xml_external(secret_path):
    """Documents that name a host file: an external entity and an external DTD."""
    url = f"file://{secret_path}"
    return {
        "xxe-entity.xml": (f'<?xml version="1.0"?>\n<!DOCTYPE a [\n<!ENTITY x SYSTEM "{url}">\n'
                           f']>\n<a>&x;</a>\n').encode(),
        "xxe-param.xml": (f'<?xml version="1.0"?>\n<!DOCTYPE a [\n<!ENTITY % p SYSTEM "{url}">\n'
                          f'%p;\n]>\n<a/>\n').encode(),
        "xxe-dtd.xml": f'<?xml version="1.0"?>\n<!DOCTYPE a SYSTEM "{url}">\n<a/>\n'.encode(),
    }


# ---- PDF ---------------------------------------------------------------------------------

def _pdf(objs, trailer=b"", xref_shift=0, prev=None, header=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"):
    """A PDF of the objects (numbered from 1), with a classic xref table whose offsets are
    moved by xref_shift bytes (0: correct), and `trailer` added to the trailer dictionary."""
    out = bytearray(header)
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % (off + xref_shift)
    prev_entry = b"/Prev %d " % (xref if prev == "self" else prev) if prev is not None else b""
    out += (b"trailer\n<< /Size %d /Root 1 0 R %s%s>>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objs) + 1, prev_entry, trailer, xref))
    return bytes(out)


def _stream(data, extra=b""):
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _text(lines):
    ops = [b"BT /F1 12 Tf 72 720 Td 14 TL"]
    for line in lines:
        ops.append(b"(" + line.replace(b"\\", b"\\\\").replace(b"(", b"\\(")
                   .replace(b")", b"\\)") + b") '")
    return b"\n".join(ops + [b"ET"])


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def _document(contents, kids_override=None, stream_extra=b""):
    """Objects of a document with one page per content stream: 1 catalog, 2 pages, 3 font,
    then a page and its contents for each."""
    n = len(contents)
    kids = kids_override or b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(n))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n), _FONT]
    for i, c in enumerate(contents):
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                    b"/Resources << /Font << /F1 3 0 R >> >> >>" % (5 + 2 * i))
        objs.append(_stream(c, stream_extra) if isinstance(c, bytes) else c)
    return objs


def _rc4(key, data):
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) & 0xFF
        s[i], s[j] = s[j], s[i]
    i = j = 0
    out = bytearray()
    for b in data:
        i = (i + 1) & 0xFF
        j = (j + s[i]) & 0xFF
        s[i], s[j] = s[j], s[i]
        out.append(b ^ s[(s[i] + s[j]) & 0xFF])
    return bytes(out)


_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _encrypted(lines, user_password=b""):
    """A document encrypted with the standard security handler, revision 2 (RC4, 40-bit key),
    built as the PDF reference's algorithms 3.1 to 3.4 say. With an empty user password any
    reader opens it (pdftotext decrypts it); with another, pdftotext refuses it."""
    owner_password = b"owner-secret"
    file_id = hashlib.md5(b"sbx test document").digest()
    perms = -4                                     # every permission bit set
    o_value = _rc4(hashlib.md5((owner_password + _PAD)[:32]).digest()[:5],
                   (user_password + _PAD)[:32])
    key = hashlib.md5((user_password + _PAD)[:32] + o_value +
                      perms.to_bytes(4, "little", signed=True) + file_id).digest()[:5]
    u_value = _rc4(key, _PAD)

    def for_object(num):
        return hashlib.md5(key + num.to_bytes(3, "little") + b"\0\0").digest()[:10]

    objs = _document([_text(lines)])
    objs[4] = _stream(_rc4(for_object(5), _text(lines)))
    objs.append(b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
                % (o_value.hex().encode(), u_value.hex().encode(), perms))
    trailer = b"/Encrypt %d 0 R /ID [<%s> <%s>] " % (len(objs), file_id.hex().encode(),
                                                    file_id.hex().encode())
    return _pdf(objs, trailer=trailer)


def pdf_documents():
    lines = [b"Hello, sandboxed world.", b"Second line (with parentheses) and \\ a backslash.",
             b"Caf\xe9 na\xefve \x80 euro"]
    valid = _pdf(_document([_text(lines)]))
    flate = zlib.compress(_text(lines * 50))
    pages = [_text([b"Page %d" % i, b"x" * 80]) for i in range(1, 41)]
    long_length = _stream(_text(lines)).replace(b"/Length ", b"/Length 99999", 1)
    return {
        "valid.pdf": valid,
        "pages.pdf": _pdf(_document(pages)),
        "flate.pdf": _pdf(_document([flate], stream_extra=b"/Filter /FlateDecode ")),
        "truncated-half.pdf": valid[:len(valid) // 2],
        "truncated-no-trailer.pdf": valid[:valid.rindex(b"trailer")],
        "header-only.pdf": b"%PDF-1.4\n",
        "empty.pdf": b"",
        "not-a-pdf.pdf": b"<html>not a pdf</html>\n",
        "wrong-xref.pdf": _pdf(_document([_text(lines)]), xref_shift=7),
        "no-xref.pdf": valid[:valid.index(b"xref")] + b"%%EOF\n",
        "xref-prev-loop.pdf": _pdf(_document([_text(lines)]), prev="self"),
        "broken-flate.pdf": _pdf(_document([b"x\x9c" + bytes(range(256)) * 4],
                                           stream_extra=b"/Filter /FlateDecode ")),
        "wrong-length.pdf": _pdf(_document([long_length])),
        "length-loop.pdf": _pdf(_document([b"<< /Length 5 0 R >>\nstream\n" + _text(lines) +
                                           b"\nendstream"])),
        "pages-loop.pdf": _pdf(_document([_text(lines)], kids_override=b"2 0 R 4 0 R")),
        "deep-filters.pdf": _pdf(_document([zlib.compress(zlib.compress(_text(lines)))],
                                           stream_extra=b"/Filter [/FlateDecode /FlateDecode] ")),
        "encrypted-rc4.pdf": _encrypted(lines),
        "encrypted-password.pdf": _encrypted(lines, user_password=b"letmein"),
    }
