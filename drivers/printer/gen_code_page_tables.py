#!/usr/bin/env python3
"""Writes code_page_tables.inc: the upper halves (bytes 0x80-0xFF) of the code
pages that Epson's ESC t n and Star's ESC GS t n select, as Unicode code
points, and the two numberings that point at them.

A table comes either from one of Python's codecs ("codec:cp437") or from a
file in code_page_data/ ("file:cp853"), for the pages no codec has and for
the pages where the printer's chart differs from the codec (a file can start
from a codec with "base <codec>" and list only the bytes that differ). The
printer's chart wins over the codec: the receipt says what the printer put
on paper.

Run from this folder: python3 gen_code_page_tables.py > code_page_tables.inc
"""
import codecs
import pathlib
import sys

DATA_DIR = pathlib.Path(__file__).resolve().parent / "code_page_data"
UNDEFINED = 0xFFFD

# Name reported by CodePage::name(), and where the table comes from.
TABLES = [
    ("CP437", "codec:cp437"),
    ("KATAKANA", "file:katakana"),
    ("CP850", "codec:cp850"),
    ("CP860", "codec:cp860"),
    ("CP863", "codec:cp863"),
    ("CP865", "codec:cp865"),
    ("CP851", "file:cp851"),
    ("CP853", "file:cp853"),
    ("CP857", "file:cp857_epson"),
    ("CP737", "codec:cp737"),
    ("ISO8859-7", "codec:iso8859_7"),
    ("CP1252", "codec:cp1252"),
    ("CP866", "codec:cp866"),
    ("CP852", "codec:cp852"),
    ("CP858", "codec:cp858"),
    ("THAI42", "file:thai42"),
    ("THAI11", "file:thai11"),
    ("THAI13", "file:thai13"),
    ("THAI14", "file:thai14"),
    ("THAI16", "file:thai16"),
    ("THAI18", "file:thai18"),
    ("TCVN3", "file:tcvn3"),
    ("TCVN3-CAPITALS", "file:tcvn3_capitals"),
    ("CP720", "codec:cp720"),
    ("CP775", "codec:cp775"),
    ("CP855", "codec:cp855"),
    ("CP861", "codec:cp861"),
    ("CP862", "codec:cp862"),
    ("CP864", "codec:cp864"),
    ("CP869", "codec:cp869"),
    ("ISO8859-2", "file:iso8859_2_epson"),
    ("ISO8859-15", "codec:iso8859_15"),
    ("CP1098", "file:cp1098"),
    ("CP774", "file:cp774"),
    ("CP772", "file:cp772"),
    ("CP1125", "codec:cp1125"),
    ("CP1250", "codec:cp1250"),
    ("CP1251", "codec:cp1251"),
    ("CP1253", "codec:cp1253"),
    ("CP1254", "codec:cp1254"),
    ("CP1255", "codec:cp1255"),
    ("CP1256", "codec:cp1256"),
    ("CP1257", "codec:cp1257"),
    ("CP1258", "codec:cp1258"),
    ("KZ1048", "codec:kz1048"),
    # Pages only Star's numbering reaches.
    ("STAR-NORMAL", "file:star_standard"),
    ("STAR-KATAKANA", "file:star_katakana"),
    ("CP928", "file:cp928_star"),
    ("CP874", "file:cp874_star"),
    ("CP3840", "file:cp3840"),
    ("CP3841", "file:cp3841"),
    ("CP3843", "file:cp3843"),
    ("CP3844", "file:cp3844"),
    ("CP3845", "file:cp3845"),
    ("CP3846", "file:cp3846"),
    ("CP3847", "file:cp3847"),
    ("CP3848", "file:cp3848"),
    ("CP1001", "file:cp1001"),
    ("CP771", "file:cp771"),
    ("CP3001", "file:cp3001"),
    ("CP3002", "file:cp3002"),
    ("CP3011", "file:cp3011"),
    ("CP3012", "file:cp3012"),
    ("CP3021", "file:cp3021"),
]

# Epson's ESC t n ("ESC t: Select character code table" in the ESC/POS
# command reference). Numbers Epson lists that stay unknown here: 6
# (Hiragana: no published table to decode from), 7 and 8 (one-pass Kanji,
# multibyte), 25 (Thai Character Code 17: no published table), 66-75 and 82
# (Indic scripts: glyph-fragment fonts, not characters), 254 and 255
# (user-defined pages).
ESC_T = {
    0: "CP437", 1: "KATAKANA", 2: "CP850", 3: "CP860", 4: "CP863",
    5: "CP865", 11: "CP851", 12: "CP853", 13: "CP857", 14: "CP737",
    15: "ISO8859-7", 16: "CP1252", 17: "CP866", 18: "CP852", 19: "CP858",
    20: "THAI42", 21: "THAI11", 22: "THAI13", 23: "THAI14", 24: "THAI16",
    26: "THAI18", 30: "TCVN3", 31: "TCVN3-CAPITALS", 32: "CP720",
    33: "CP775", 34: "CP855", 35: "CP861", 36: "CP862", 37: "CP864",
    38: "CP869", 39: "ISO8859-2", 40: "ISO8859-15", 41: "CP1098",
    42: "CP774", 43: "CP772", 44: "CP1125", 45: "CP1250", 46: "CP1251",
    47: "CP1253", 48: "CP1254", 49: "CP1255", 50: "CP1256", 51: "CP1257",
    52: "CP1258", 53: "KZ1048",
}

# Star's ESC GS t n (Star Line Mode and StarPRNT command specifications).
# Unknown here: 79 (PC3041 Maltese: its letters replace ASCII positions, the
# upper half is empty), 101 (Thai Character Code 17), 255 (user setting).
STAR = {
    0: "STAR-NORMAL", 1: "CP437", 2: "STAR-KATAKANA", 3: "CP437", 4: "CP858",
    5: "CP852", 6: "CP860", 7: "CP861", 8: "CP863", 9: "CP865", 10: "CP866",
    11: "CP855", 12: "CP857", 13: "CP862", 14: "CP864", 15: "CP737",
    16: "CP851", 17: "CP869", 18: "CP928", 19: "CP772", 20: "CP774",
    21: "CP874", 32: "CP1252", 33: "CP1250", 34: "CP1251", 64: "CP3840",
    65: "CP3841", 66: "CP3843", 67: "CP3844", 68: "CP3845", 69: "CP3846",
    70: "CP3847", 71: "CP3848", 72: "CP1001", 73: "CP771", 74: "CP3001",
    75: "CP3002", 76: "CP3011", 77: "CP3012", 78: "CP3021", 96: "THAI42",
    97: "THAI11", 98: "THAI13", 99: "THAI14", 100: "THAI16", 102: "THAI18",
}


def fail(message):
    sys.exit(f"gen_code_page_tables.py: {message}")


def printable(point):
    # A printer prints no control code from the upper half, and U+0080..U+009F
    # in receipt text would only trip up templates, so such bytes are
    # undefined like the chart's empty positions.
    if point < 0x20 or 0x7F <= point < 0xA0:
        return UNDEFINED
    return point


def from_codec(codec):
    points = []
    for byte in range(0x80, 0x100):
        try:
            text = bytes([byte]).decode(codec)
        except UnicodeDecodeError:
            points.append(UNDEFINED)
            continue
        if len(text) != 1:
            fail(f"{codec} decodes {byte:#04x} to {len(text)} characters")
        points.append(printable(ord(text)))
    return points


def from_file(name):
    path = DATA_DIR / f"{name}.txt"
    points = None
    seen = set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{path.name}:{number}"
        fields = line.split()
        if fields[0] == "base":
            if points is not None or len(fields) != 2:
                fail(f"{where}: 'base <codec>' must come once, before any byte")
            points = from_codec(fields[1])
            continue
        if points is None:
            points = [None] * 128
        if len(fields) != 2:
            fail(f"{where}: expected '<byte> U+<code point>' or '<byte> -'")
        byte = int(fields[0], 16)
        if not 0x80 <= byte <= 0xFF or byte in seen:
            fail(f"{where}: byte {fields[0]} is outside 80-FF or listed twice")
        seen.add(byte)
        if fields[1] == "-":
            points[byte - 0x80] = UNDEFINED
            continue
        if not fields[1].startswith("U+"):
            fail(f"{where}: code point {fields[1]} is not written U+XXXX")
        point = int(fields[1][2:], 16)
        if 0xD800 <= point <= 0xDFFF or point > 0x10FFFF or printable(point) != point:
            fail(f"{where}: {fields[1]} is not a printable character")
        points[byte - 0x80] = point
    if points is None or None in points:
        fail(f"{path.name}: every byte 80-FF needs a line when there is no base")
    return points


def load(source):
    kind, _, name = source.partition(":")
    if kind == "codec":
        return from_codec(name)
    if kind == "file":
        return from_file(name)
    fail(f"unknown table source {source}")


def numbering(title, pages, index):
    print(f"// {title}: {{number, index into kTables}}.")
    print(f"constexpr PageNumber k{title}Numbers[] = {{")
    entries = [f"{{{number}, {index[name]}}}" for number, name in sorted(pages.items())]
    for row in range(0, len(entries), 6):
        print("    " + ", ".join(entries[row:row + 6]) + ",")
    print("};")


def main():
    index = {name: i for i, (name, _) in enumerate(TABLES)}
    if len(index) != len(TABLES):
        fail("a table name is used twice")
    used = set(ESC_T.values()) | set(STAR.values())
    if used - set(index) or set(index) - used:
        fail(f"tables named but missing or unused: {sorted(used ^ set(index))}")

    print("// Generated by gen_code_page_tables.py from Python's codecs and")
    print("// code_page_data/; do not edit by hand.")
    print("// {name, code points for bytes 0x80..0xFF (0xFFFD = nothing defined)}")
    print("constexpr CodePageTable kTables[] = {")
    for name, source in TABLES:
        points = load(source)
        print(f'    {{"{name}", {{')
        for row in range(0, 128, 8):
            print("        " + ", ".join(f"0x{p:04X}" for p in points[row:row + 8]) + ",")
        print("    }},")
    print("};")
    print()
    numbering("EscT", ESC_T, index)
    print()
    numbering("Star", STAR, index)


if __name__ == "__main__":
    main()
