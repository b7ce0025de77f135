// Writes Star receipts (Star Line Mode and StarPRNT) encoded by two real
// encoders, @point-of-sale/receipt-printer-encoder and node-thermal-printer,
// into a folder, with manifest.json listing what each receipt should yield.
//
//   node make-star-receipts.mjs OUTDIR
//
// The layouts follow the shipped Corner Market and Bistro templates, so the
// printer tap turns them into transactions. Each manifest entry also lists
// words the decoded text must contain (euro signs, accents) and how many
// receipts (cuts) the file holds.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';
import ImageData from '@canvas/image-data';
import thermal from 'node-thermal-printer';

const { printer: ThermalPrinter, types: PrinterTypes } = thermal;
// pngjs comes with node-thermal-printer (its image input is a PNG file).
const { PNG } = createRequire(import.meta.url)('pngjs');

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: node make-star-receipts.mjs OUTDIR');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });

const manifest = [];

function save(name, bytes, expect) {
  const file = `${name}.bin`;
  fs.writeFileSync(path.join(outDir, file), Buffer.from(bytes));
  manifest.push({ file, bytes: bytes.length, receipts: 1, ...expect });
}

const money = (minor) => (minor / 100).toFixed(2);
const euro = (minor) => (minor / 100).toFixed(2).replace('.', ',');

// A checkerboard, so an image has both colours (and bytes that look like
// commands and line feeds).
function pattern(width, height) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const on = ((x >> 3) + (y >> 3)) % 2 === 0;
      const i = (y * width + x) * 4;
      data[i] = data[i + 1] = data[i + 2] = on ? 0 : 255;
      data[i + 3] = 255;
    }
  }
  return new ImageData(data, width, height);
}

function patternPng(width, height) {
  const png = new PNG({ width, height });
  png.data = Buffer.from(pattern(width, height).data);
  return PNG.sync.write(png);
}

const groceries = [['Apples 1kg', 2, 349], ['Oat milk', 1, 279], ['Crème fraîche', 3, 189]];

function cornerTotals(items, taxRate) {
  const subtotal = items.reduce((sum, [, qty, price]) => sum + qty * price, 0);
  const tax = Math.round((subtotal * taxRate) / 10000);
  return { subtotal, tax, total: subtotal + tax };
}

function cornerExpect(number, items, totals, { kind = 'sale', phone = '', coupon, words = [] } = {}) {
  return {
    template: 'corner-market', receipt_number: String(number) + (kind === 'sale' ? '' : `/${kind}`),
    kind, total_minor: totals.total, tax_minor: totals.tax, lines: items.length,
    phone, coupons: coupon ? [coupon] : [], card: '',
    words: ['CORNER MARKET', `Receipt: ${number}`, `TOTAL`, money(totals.total), ...words],
  };
}

// Corner Market with receipt-printer-encoder: styles, a table, a barcode, a
// QR code, an image and a cut, in either Star language.
function encoderCorner({ language, number, items, taxRate = 825, codepage = 'auto', kind = 'sale',
                         coupon, image, cut = 'full', extraLine }) {
  const e = new ReceiptPrinterEncoder({ language, columns: 48 });
  const totals = cornerTotals(items, taxRate);
  const sign = kind === 'refund' ? '-' : '';
  e.initialize().codepage(codepage)
    .align('center').size(2, 2).bold(true).line('CORNER MARKET').size(1, 1).bold(false)
    .line('12 Main Street, Springfield').align('left').newline();
  if (kind === 'refund') e.bold(true).line('*** REFUND ***').bold(false);
  e.line(`Receipt: ${number}`).line('Date: 2026-03-14 15:09').line('Cashier: Dana');
  e.rule();
  e.table([{ width: 34, align: 'left' }, { width: 13, align: 'right' }],
    items.map(([name, qty, price]) => [`${qty} x ${name} @${money(price)}`, `${sign}${money(qty * price)}`]));
  e.rule();
  e.table([{ width: 34 }, { width: 13, align: 'right' }], [
    ['Subtotal', `${sign}${money(totals.subtotal)}`],
    [`Sales tax ${(taxRate / 100).toFixed(2)}%`, `${sign}${money(totals.tax)}`],
  ]);
  e.bold(true).size(1, 2).table([{ width: 34 }, { width: 13, align: 'right' }],
    [['TOTAL', `${sign}${money(totals.total)}`]]).size(1, 1).bold(false);
  e.line(`Cash ${sign}${money(totals.total)}`);
  if (coupon) e.underline(true).line(`Coupon: ${coupon}`).underline(false);
  if (extraLine) e.line(extraLine);
  e.invert(true).line('Thank you - Merci - Danke').invert(false);
  e.align('center').barcode(String(number).padStart(12, '0'), 'ean13', 50)
    .qrcode(`https://corner.example/r/${number}`).align('left');
  if (image) e.image(image, image.width, image.height, 'threshold');
  e.cut(cut);
  return { bytes: e.encode(), totals };
}

// Bistro with receipt-printer-encoder: decimal commas, euro signs, umlauts,
// a PDF417 code.
function encoderBistro({ language, number, items, codepage }) {
  const e = new ReceiptPrinterEncoder({ language, columns: 48 });
  const total = items.reduce((sum, [, qty, price]) => sum + qty * price, 0);
  const tax = Math.round(total - total / 1.19);
  e.initialize().codepage(codepage).align('center').bold(true).line('Bistro Müller & Söhne')
    .bold(false).line('Königstraße 5, Köln').align('left')
    .line(`Beleg-Nr. ${number}`).line('14.03.2026 12:30');
  for (const [name, qty, price] of items) {
    e.table([{ width: 36 }, { width: 11, align: 'right' }], [[`${qty}x ${name}`, `${euro(qty * price)} €`]]);
  }
  e.rule({ style: 'double' });
  e.bold(true).table([{ width: 36 }, { width: 11, align: 'right' }], [['SUMME EUR', euro(total)]]).bold(false);
  e.line(`MwSt 19% ${euro(tax)}`).line(`Bar ${euro(total)}`).line('Vielen Dank für Ihren Besuch!');
  e.pdf417(`BELEG ${number}`).cut('partial');
  return {
    bytes: e.encode(),
    expect: {
      template: 'bistro', receipt_number: String(number), kind: 'sale', total_minor: total, tax_minor: tax,
      lines: items.length, phone: '', coupons: [], card: '',
      words: ['Bistro Müller & Söhne', 'Königstraße 5, Köln', `Beleg-Nr. ${number}`, `${euro(total)}`, '€',
              'Vielen Dank für Ihren Besuch!', ...items.map(([name]) => name)],
    },
  };
}

// node-thermal-printer's STAR type: its buffer, never a real printer.
function thermalPrinter(characterSet) {
  return new ThermalPrinter({ type: PrinterTypes.STAR, width: 48, characterSet });
}

function thermalCorner({ number, items, taxRate = 825, characterSet = 'PC437_USA', coupon }) {
  const p = thermalPrinter(characterSet);
  const totals = cornerTotals(items, taxRate);
  p.alignCenter();
  p.setTextQuadArea();
  p.bold(true);
  p.println('CORNER MARKET');
  p.bold(false);
  p.setTextNormal();
  p.println('12 Main Street, Springfield');
  p.alignLeft();
  p.println(`Receipt: ${number}`);
  p.println('Date: 2026-03-14 15:09');
  p.println('Cashier: Dana');
  p.drawLine();
  for (const [name, qty, price] of items) p.leftRight(`${qty} x ${name} @${money(price)}`, money(qty * price));
  p.drawLine();
  p.leftRight('Subtotal', money(totals.subtotal));
  p.leftRight(`Sales tax ${(taxRate / 100).toFixed(2)}%`, money(totals.tax));
  p.setTextDoubleHeight();
  p.bold(true);
  p.leftRight('TOTAL', money(totals.total));
  p.bold(false);
  p.setTextNormal();
  p.println(`Cash ${money(totals.total)}`);
  if (coupon) {
    p.underline(true);
    p.println(`Coupon: ${coupon}`);
    p.underline(false);
  }
  p.invert(true);
  p.println('Thank you - Merci - Danke');
  p.invert(false);
  p.upsideDown(true);
  p.println('');
  p.upsideDown(false);
  p.alignCenter();
  p.printBarcode(String(number).padStart(12, '0'), 3, { characters: 2, height: 60 });
  p.code128(`R${number}`, { text: 2, width: 'MEDIUM', height: 50 });
  p.printQR(`https://corner.example/r/${number}`, { cellSize: 4, correctionLevel: 'M', model: 2 });
  p.alignLeft();
  p.openCashDrawer();
  p.cut();
  return { bytes: p.getBuffer(), totals };
}

async function thermalBistro({ number, items, characterSet = 'PC858_EURO' }) {
  const p = thermalPrinter(characterSet);
  const total = items.reduce((sum, [, qty, price]) => sum + qty * price, 0);
  const tax = Math.round(total - total / 1.19);
  p.alignCenter();
  p.bold(true);
  p.println('Bistro Müller & Söhne');
  p.bold(false);
  p.println('Königstraße 5, Köln');
  await p.printImageBuffer(patternPng(96, 48));
  p.alignLeft();
  p.println(`Beleg-Nr. ${number}`);
  p.println('14.03.2026 12:30');
  for (const [name, qty, price] of items) p.leftRight(`${qty}x ${name}`, `${euro(qty * price)} €`);
  p.drawLine('=');
  p.bold(true);
  p.leftRight('SUMME EUR', euro(total));
  p.bold(false);
  p.println(`MwSt 19% ${euro(tax)}`);
  p.println(`Bar ${euro(total)}`);
  p.underlineThick(true);
  p.println('Vielen Dank für Ihren Besuch!');
  p.underlineThick(false);
  p.pdf417(`BELEG ${number}`);
  p.partialCut();
  return {
    bytes: p.getBuffer(),
    expect: {
      template: 'bistro', receipt_number: String(number), kind: 'sale', total_minor: total, tax_minor: tax,
      lines: items.length, phone: '', coupons: [], card: '',
      words: ['Bistro Müller & Söhne', 'Königstraße 5, Köln', `Beleg-Nr. ${number}`, '€',
              'Vielen Dank für Ihren Besuch!', ...items.map(([name]) => name)],
    },
  };
}

let r = encoderCorner({ language: 'star-line', number: 300101, items: groceries, coupon: 'SAVE10',
                        extraLine: 'Gift card balance €12.50' });
save('s01-corner-star-line-auto', r.bytes, {
  encoder: 'receipt-printer-encoder', language: 'star-line',
  ...cornerExpect(300101, groceries, r.totals, { coupon: 'SAVE10', words: ['Crème fraîche', '€12.50'] }),
});
const coffee = [['Coffee beans', 1, 1299], ['Café noir', 2, 250]];
r = encoderCorner({ language: 'star-prnt', number: 300102, items: coffee, codepage: 'cp437', cut: 'partial',
                    image: pattern(256, 48) });
save('s02-corner-star-prnt-cp437-image', r.bytes, {
  encoder: 'receipt-printer-encoder', language: 'star-prnt',
  ...cornerExpect(300102, coffee, r.totals, { words: ['Café noir'] }),
});
const batteries = [['Batteries AA', 2, 599]];
r = encoderCorner({ language: 'star-prnt', number: 300103, items: batteries, kind: 'refund',
                    codepage: 'windows1252', extraLine: 'Rückgabe innerhalb 30 Tagen, 5 € Gebühr' });
save('s03-corner-star-prnt-refund-cp1252', r.bytes, {
  encoder: 'receipt-printer-encoder', language: 'star-prnt',
  ...cornerExpect(300103, batteries, r.totals, { kind: 'refund', words: ['Rückgabe', '5 € Gebühr'] }),
});
let b = encoderBistro({ language: 'star-prnt', number: 4077, codepage: 'cp858',
                        items: [['Café Crème', 2, 380], ['Käsespätzle', 1, 1450], ['Apfelschorle', 2, 320]] });
save('s04-bistro-star-prnt-cp858', b.bytes, { encoder: 'receipt-printer-encoder', language: 'star-prnt', ...b.expect });
b = encoderBistro({ language: 'star-line', number: 4078, codepage: 'windows1252',
                    items: [['Crêpe Suzette', 1, 790], ['Grüner Tee', 1, 350]] });
save('s05-bistro-star-line-cp1252', b.bytes, { encoder: 'receipt-printer-encoder', language: 'star-line', ...b.expect });
b = encoderBistro({ language: 'star-line', number: 4079, codepage: 'auto',
                    items: [['Flammkuchen Élsässer', 1, 1190], ['Weißbier', 2, 420]] });
save('s06-bistro-star-line-auto', b.bytes, { encoder: 'receipt-printer-encoder', language: 'star-line', ...b.expect });

// node-thermal-printer 4.6.1 sends a Star QR code's data without the
// ESC GS y D 1 header in front of it, so a Star printer prints the URL as a
// line of text, and so does the decoder.
r = thermalCorner({ number: 300104, items: groceries, coupon: 'STAR-5' });
save('s07-corner-node-thermal-cp437', r.bytes, {
  encoder: 'node-thermal-printer', language: 'star-line',
  ...cornerExpect(300104, groceries, r.totals,
                  { coupon: 'STAR-5', words: ['Crème fraîche', 'https://corner.example/r/300104'] }),
});
b = await thermalBistro({ number: 4080, items: [['Café Crème', 1, 380], ['Käsespätzle', 2, 1450]] });
save('s08-bistro-node-thermal-cp858', b.bytes, { encoder: 'node-thermal-printer', language: 'star-line', ...b.expect });
b = await thermalBistro({ number: 4081, characterSet: 'WPC1252', items: [['Crêpe Suzette', 2, 790]] });
save('s09-bistro-node-thermal-cp1252', b.bytes, { encoder: 'node-thermal-printer', language: 'star-line', ...b.expect });

// Two receipts in one job, and one printed without a cut: the tap has to
// end that one by the idle timeout.
{
  const stickers = [['Stickers', 3, 99]];
  const first = encoderCorner({ language: 'star-prnt', number: 300105, items: stickers });
  const second = encoderCorner({ language: 'star-prnt', number: 300106, items: [['Gum', 1, 100]] });
  const bytes = Buffer.concat([Buffer.from(first.bytes), Buffer.from(second.bytes)]);
  save('s10-two-corner-receipts-star-prnt', bytes, {
    encoder: 'receipt-printer-encoder', language: 'star-prnt', receipts: 2,
    ...cornerExpect(300105, stickers, first.totals), second_receipt_number: '300106',
  });
}
{
  const e = new ReceiptPrinterEncoder({ language: 'star-line', columns: 48 });
  e.initialize().line('CORNER MARKET').line('Receipt: 300107').line('Date: 2026-03-14 16:00')
    .table([{ width: 34 }, { width: 13, align: 'right' }], [['1 x Gum @1.00', '1.00'], ['TOTAL', '1.08']])
    .line('Cash 1.08');
  save('s11-corner-star-line-no-cut', e.encode(), {
    encoder: 'receipt-printer-encoder', language: 'star-line', template: 'corner-market',
    receipt_number: '300107', kind: 'sale', total_minor: 108, tax_minor: 0, lines: 1, phone: '', coupons: [],
    card: '', no_cut: true, receipts: 0, words: ['Receipt: 300107', 'Cash 1.08'],
  });
}

fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2));
console.log(`wrote ${manifest.length} Star receipts to ${outDir}`);
