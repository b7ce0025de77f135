// Writes ESC/POS streams of text in many scripts, encoded by
// @point-of-sale/receipt-printer-encoder, with manifest.json saying what
// each line should decode to; the code page round-trip test reads them.
//
//   node make-codepage-receipts.mjs OUTDIR
//
// Two kinds of stream: "auto" lets the encoder pick a page per character
// (codepage('auto') with Epson's numbering), as a POS using this library
// does; "page" selects one Epson page and prints its sample text and every
// character of its upper half. manifest.tables also lists the encoder's own
// table for every Epson and Star page number, so the test can compare them
// with ours byte by byte.
import fs from 'node:fs';
import path from 'node:path';
import ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';
import CodepageEncoder from '@point-of-sale/codepage-encoder';

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: node make-codepage-receipts.mjs OUTDIR');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });

const COLUMNS = 48;
const QUESTION = 0x3f;

// The page number each encoder page gets from a printer language's mapping,
// asked from the encoder itself: select the page, print one character and
// read the number out of the select-page command it sends.
function pageNumbers(language, mapping, command) {
  const numbers = new Map();
  for (const page of CodepageEncoder.getEncodings()) {
    const encoder = new ReceiptPrinterEncoder({ language, codepageMapping: mapping, columns: COLUMNS });
    try {
      encoder.codepage(page);
    } catch {
      continue;  // not in this printer's mapping
    }
    const bytes = [...encoder.text('x').encode()];
    const at = bytes.findIndex((b, i) => command.every((c, k) => bytes[i + k] === c));
    if (at < 0) throw new Error(`no select-page command for ${page}`);
    numbers.set(page, bytes[at + command.length]);
  }
  return numbers;
}

const epson = pageNumbers('esc-pos', 'epson', [0x1b, 0x74]);
const star = pageNumbers('star-prnt', 'star', [0x1b, 0x1d, 0x74]);
// The encoder's candidates in auto mode: its mapping in page-number order.
const autoCandidates = [...epson.entries()].sort((a, b) => a[1] - b[1]).map(([page]) => page);

// Where the encoder's Epson mapping disagrees with Epson's ESC t list, or
// leaves out a page it has a table for. The encoder sends ESC t 26 (Epson's
// Thai Character Code 18) for its Thai 13 table; Epson lists Thai 13 as 22.
const EPSON_NUMBERS = new Map([...epson, ['thai13', 22], ['thai14', 23], ['thai16', 24], ['thai18', 26]]);
const wrongNumbers = new Set([...epson].filter(([page, n]) => EPSON_NUMBERS.get(page) !== n).map(([page]) => page));

// What each character of `text` comes out as, given the encoder's fragments:
// the character itself, '?' when the encoder had no byte for it. A line is
// "control" when a character went out as a control byte (C0 or DEL) that no
// printer prints, and "wrong-number" when the encoder selected a page by a
// number Epson gives another page; the test skips both.
function expectLine(text, fragments, numbersChecked = true) {
  const bytes = fragments.flatMap((f) => [...f.bytes].map((b) => ({ page: f.codepage, byte: b })));
  if (bytes.length !== text.length) throw new Error(`one byte per character expected: ${text}`);
  let expected = '';
  let substituted = false;
  let wrongNumber = false;
  for (let i = 0; i < text.length; i++) {
    const { page, byte } = bytes[i];
    if (byte < 0x20 || byte === 0x7f) return { expected: null, status: 'control' };
    if (numbersChecked && wrongNumbers.has(page)) wrongNumber = true;
    if (byte === QUESTION && text[i] !== '?') {
      expected += '?';
      substituted = true;
    } else {
      expected += text[i];
    }
  }
  if (wrongNumber) return { expected, status: 'wrong-number' };
  return { expected, status: substituted ? 'substituted' : 'exact' };
}

const manifest = { receipts: [], tables: { escpos: [], star: [] } };

function save(name, bytes, entry) {
  const file = `${name}.bin`;
  fs.writeFileSync(path.join(outDir, file), Buffer.from(bytes));
  manifest.receipts.push({ file, ...entry });
}

// Text in many scripts; each line stays well inside one printed line so the
// encoder does not wrap it.
const SAMPLES = {
  english: ['Receipt total 12.50 - thank you!'],
  french: ['Crème brûlée, façade, garçon', 'Où est le Noël? À bientôt, Éloïse', 'Œuvre: cœur 4,90 EUR'],
  german: ['Größe: Äpfel, Übermaß, Straße', 'Öl 1,99 € - Käse 3,49 €'],
  spanish: ['¿Dónde está el niño? ¡Olé!', 'Añadir jalapeño, señor Núñez'],
  portuguese: ['Ação, coração, São Paulo', 'Pão: três maçãs, Irmã Conceição'],
  nordic: ['Smørrebrød, æble, øl, Åre', 'Þetta er íslenska: ð, Ý, þ'],
  polish: ['Zażółć gęślą jaźń', 'ŻÓŁW, Łódź, Źdźbło, Ćma, Ńę', 'Razem 12,50 zł'],
  czech: ['Příliš žluťoučký kůň úpěl', 'ďábelské ódy, Ťuk, Ňadro'],
  hungarian: ['Árvíztűrő tükörfúrógép', 'ŐRÜLT ŰRHAJÓ, Ő és Ű'],
  romanian: ['Știință și țară: ăâî', 'Şcoală cu ţeavă'],
  turkish: ['Ağır işçi, ılık çay', 'İSTANBUL ĞÜŞÖÇ, Iğdır', 'Toplam 12,50 TL'],
  esperanto: ['Ĉu ĝi ŝanĝiĝas? ĥoro, ĵaŭdo'],
  maltese: ['Ħaġar Qim, ċirasa, żebbuġa'],
  greek: ['Καλημέρα κόσμε', 'ΑΒΓΔ ΕΖΗΘ ωψχ', 'Σύνολο: 12,50 ευρώ, ΐ ΰ'],
  russian: ['Съешь же ещё этих мягких', 'французских булок, да выпей чаю', 'ИТОГО 1250 руб.'],
  ukrainian: ['Їжак, ґанок, Єва, іній', 'Ґудзик і Їжачок'],
  serbian: ['Ђорђе, Љубав, Њива, Џеп', 'Ћирилица: ћ ђ љ њ џ'],
  macedonian: ['Ѓорѓи, Ќерка, Ѕвезда, ј'],
  kazakh: ['Қазақстан, Әлем, Ғалым', 'Ұлттық, Үй, Һ, Ө, Ң, і'],
  hebrew: ['שלום עולם', 'סה"כ לתשלום 12.50'],
  arabic: ['مرحبا بالعالم', 'المجموع 12.50'],
  farsi: ['پ چ ژ گ: گربه و پرچم'],
  lithuanian: ['Ąžuolas, čia, ėglė, įėjimas', 'Šuo, ųūž, ŪKIS, Ž'],
  latvian: ['Ģērbšanās, ķīļņ, ĀĒĪŪ', 'Rīga, ēdiens, ļoti'],
  estonian: ['Jäätis, õun, Šokolaad, Žürii'],
  vietnamese: ['Tiếng Việt có dấu', 'Phở bò, cơm gà, nước mía', 'ĐẶNG VĂN ĐỨC, Tổng cộng'],
  thai: ['สวัสดีครับ', 'ราคา ๑๒๓ บาท', 'ขอบคุณที่ใช้บริการ'],
  japanese: ['ｶﾀｶﾅ ﾃｽﾄ ｺﾞｳｹｲ', 'ﾗｰﾒﾝ 800円'],
  money: ['€12,50 £9.99 ¥1000 ¢50', '₧ ƒ ¤ ₪ ₫ ₸ ₴ ₽'],
  symbols: ['25°C ±2 µg ½ ¼ ¾ © ® ™', 'Box ┌─┬─┐ ╔═╗ ░▒▓█ ■'],
};

function autoReceipt(script, lines) {
  const encoder = new ReceiptPrinterEncoder({ language: 'esc-pos', codepageMapping: 'epson', columns: COLUMNS });
  encoder.initialize().codepage('auto');
  const expect = [];
  for (const text of lines) {
    encoder.line(text);
    expect.push({ text, ...expectLine(text, CodepageEncoder.autoEncode(text, autoCandidates)) });
  }
  encoder.cut();
  save(`auto-${script}`, encoder.encode(), { mode: 'auto', lines: expect });
}

for (const [script, lines] of Object.entries(SAMPLES)) autoReceipt(script, lines);

// A sentence per page where one fits; every page also prints its own upper
// half, 32 characters a line.
const PAGE_SAMPLES = {
  cp437: SAMPLES.english.concat(SAMPLES.german), cp850: SAMPLES.french, cp860: SAMPLES.portuguese,
  cp863: SAMPLES.french, cp865: SAMPLES.nordic, cp851: SAMPLES.greek, cp853: SAMPLES.esperanto.concat(SAMPLES.maltese),
  cp857: SAMPLES.turkish, cp737: SAMPLES.greek, 'iso8859-7': SAMPLES.greek, windows1252: SAMPLES.french,
  cp866: SAMPLES.russian, cp852: SAMPLES.polish.concat(SAMPLES.czech), cp858: SAMPLES.german,
  thai42: SAMPLES.thai, thai11: SAMPLES.thai, thai13: SAMPLES.thai, thai14: SAMPLES.thai,
  thai16: SAMPLES.thai, thai18: SAMPLES.thai, tcvn3: ['tiếng việt có dấu, phở bò'],
  tcvn3capitals: ['TIẾNG VIỆT CÓ DẤU'], cp720: SAMPLES.arabic, cp775: SAMPLES.lithuanian.concat(SAMPLES.latvian),
  cp855: SAMPLES.serbian, cp861: SAMPLES.nordic, cp862: SAMPLES.hebrew, cp864: ['12.50'],
  cp869: SAMPLES.greek, 'epson/iso8859-2': SAMPLES.polish, 'iso8859-15': SAMPLES.french, cp1098: SAMPLES.farsi,
  cp774: SAMPLES.lithuanian, cp772: SAMPLES.lithuanian.concat(SAMPLES.russian), cp1125: SAMPLES.ukrainian,
  windows1250: SAMPLES.czech.concat(SAMPLES.hungarian), windows1251: SAMPLES.russian.concat(SAMPLES.serbian),
  windows1253: SAMPLES.greek, windows1254: SAMPLES.turkish, windows1255: SAMPLES.hebrew, windows1256: SAMPLES.arabic,
  windows1257: SAMPLES.lithuanian.concat(SAMPLES.latvian), windows1258: SAMPLES.vietnamese.slice(1, 2),
  rk1048: SAMPLES.kazakh, 'epson/katakana': SAMPLES.japanese,
};

// The characters of a page's upper half the encoder would send as that
// byte (a character also found lower in the table is sent as the lower byte).
function upperHalf(page) {
  const points = CodepageEncoder.getCodepoints(page, true);
  let chars = '';
  for (let byte = 0x80; byte < 0x100; byte++) {
    const point = points[byte];
    if (point === undefined || point === 0xfffd || point < 0xa0 || point > 0xffff) continue;
    if (point === 0xa0 || points.indexOf(point) !== byte) continue;
    chars += String.fromCharCode(point);
  }
  const lines = [];
  for (let at = 0; at < chars.length; at += 32) lines.push(chars.slice(at, at + 32));
  return lines;
}

for (const [page, number] of [...EPSON_NUMBERS].sort((a, b) => a[1] - b[1])) {
  const mapping = wrongNumbers.has(page) || !epson.has(page) ? { [page]: number } : 'epson';
  const encoder = new ReceiptPrinterEncoder({ language: 'esc-pos', codepageMapping: mapping, columns: COLUMNS });
  encoder.initialize().codepage(page);
  const expect = [];
  for (const text of (PAGE_SAMPLES[page] || []).concat(upperHalf(page))) {
    encoder.line(text);
    const fragment = { codepage: page, bytes: CodepageEncoder.encode(text, page) };
    expect.push({ text, ...expectLine(text, [fragment], false) });
  }
  encoder.cut();
  const name = `page-${String(number).padStart(2, '0')}-${page.replace('/', '-')}`;
  save(name, encoder.encode(), { mode: 'page', page, esc_t: number, lines: expect });
}

function table(page, number) {
  return { number, page, points: CodepageEncoder.getCodepoints(page, true).slice(0x80) };
}
for (const [page, number] of EPSON_NUMBERS) manifest.tables.escpos.push(table(page, number));
for (const [page, number] of star) manifest.tables.star.push(table(page, number));

fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 1));
const lines = manifest.receipts.reduce((n, r) => n + r.lines.length, 0);
console.log(`wrote ${manifest.receipts.length} streams (${lines} lines) to ${outDir}`);
