// Writes ESC/POS receipts encoded by @point-of-sale/receipt-printer-encoder
// into a folder, with manifest.json listing what each receipt should yield.
//
//   node make-receipts.mjs OUTDIR
//
// Each receipt is one file; the tests concatenate them, split them across
// writes and connections, and compare what the printer tap extracts with
// the manifest.
import fs from 'node:fs';
import path from 'node:path';
import ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';
import ImageData from '@canvas/image-data';

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: node make-receipts.mjs OUTDIR');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });

const manifest = [];
const encoder = (options = {}) =>
  new ReceiptPrinterEncoder({ language: 'esc-pos', columns: 42, ...options });

function save(name, bytes, expect) {
  const file = `${name}.bin`;
  fs.writeFileSync(path.join(outDir, file), Buffer.from(bytes));
  manifest.push({ file, bytes: bytes.length, ...expect });
}

const money = (minor) => (minor / 100).toFixed(2);
const euro = (minor) => (minor / 100).toFixed(2).replace('.', ',');

// A checkerboard-ish test pattern, so the image has both colours.
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

// Corner Market: the US layout (CP437), with styles, a table, barcodes and
// a QR code, a customer phone, a coupon and a card number printed in full.
function cornerMarket({ number, items, taxRate = 825, kind = 'sale', phone, coupon, card, member,
                        points, codepage = 'cp437', cut = 'full', image, imageMode = 'raster' }) {
  const e = encoder({ imageMode });
  const subtotal = items.reduce((sum, [, qty, price]) => sum + qty * price, 0);
  const tax = Math.round((subtotal * taxRate) / 10000);
  const total = subtotal + tax;
  e.initialize().codepage(codepage)
    .align('center').size(2, 2).bold(true).line('CORNER MARKET').size(1, 1).bold(false)
    .line('12 Main Street, Springfield').line('Tel 555-0100').align('left').newline();
  if (kind === 'refund') e.bold(true).line('*** REFUND ***').bold(false);
  if (kind === 'void') e.invert(true).line('*** VOID ***').invert(false);
  e.line(`Receipt: ${number}`).line('Date: 2026-03-14 15:09').line('Cashier: Dana');
  e.rule();
  const sign = kind === 'refund' ? '-' : '';
  e.table([{ width: 28, align: 'left' }, { width: 13, align: 'right' }],
    items.map(([name, qty, price]) => [`${qty} x ${name} @${money(price)}`, `${sign}${money(qty * price)}`]));
  e.rule();
  e.table([{ width: 28 }, { width: 13, align: 'right' }], [
    ['Subtotal', `${sign}${money(subtotal)}`],
    [`Sales tax ${(taxRate / 100).toFixed(2)}%`, `${sign}${money(tax)}`],
  ]);
  e.bold(true).size(1, 2).table([{ width: 28 }, { width: 13, align: 'right' }],
    [['TOTAL', `${sign}${money(total)}`]]).size(1, 1).bold(false);
  if (card) {
    e.line(`VISA ${card}`).line(`Card payment ${sign}${money(total)}`);
  } else {
    e.line(`Cash ${sign}${money(total)}`);
  }
  if (phone) e.line(`Customer phone: ${phone}`);
  if (member) e.line(`Member: ${member}`);
  if (points) e.line(`Points earned: ${points.earned}`).line(`Points balance: ${points.balance}`);
  if (coupon) e.underline(true).line(`Coupon: ${coupon}`).underline(false);
  e.italic(true).line('Thank you - Merci - Danke').italic(false);
  e.align('center').barcode(String(number).padStart(12, '0'), 'ean13', 50)
    .qrcode(`https://corner.example/r/${number}`).align('left');
  if (image) e.image(image, image.width, image.height, 'threshold');
  e.cut(cut);
  return {
    bytes: e.encode(),
    expect: {
      template: 'corner-market', receipt_number: String(number) + (kind === 'sale' ? '' : `/${kind}`),
      kind, total_minor: total, tax_minor: tax, subtotal_minor: subtotal, lines: items.length,
      phone: phone ? '+14155550134' : '', coupons: coupon ? [coupon] : [], card: card || '',
      loyalty: member || '',
      ...(points ? { points_earned: points.earned, points_balance: Number(points.balance.replace(',', '')) } : {}),
    },
  };
}

// Bistro: a European layout (CP858, decimal commas, euro signs).
function bistro({ number, items, codepage = 'cp858' }) {
  const e = encoder();
  const total = items.reduce((sum, [, qty, price]) => sum + qty * price, 0);
  const tax = Math.round(total - total / 1.19);
  e.initialize().codepage(codepage).align('center').bold(true).line('Bistro Müller & Söhne')
    .bold(false).line('Königstraße 5, Köln').align('left')
    .line(`Beleg-Nr. ${number}`).line('14.03.2026 12:30');
  for (const [name, qty, price] of items) {
    e.table([{ width: 30 }, { width: 11, align: 'right' }], [[`${qty}x ${name}`, `${euro(qty * price)} €`]]);
  }
  e.rule({ style: 'double' });
  e.bold(true).table([{ width: 30 }, { width: 11, align: 'right' }], [['SUMME EUR', euro(total)]]).bold(false);
  e.line(`MwSt 19% ${euro(tax)}`).line(`Bar ${euro(total)}`).line('Vielen Dank für Ihren Besuch!');
  e.pdf417(`BELEG ${number}`).cut('partial');
  return {
    bytes: e.encode(),
    expect: { template: 'bistro', receipt_number: String(number), kind: 'sale', total_minor: total,
              tax_minor: tax, lines: items.length, phone: '', coupons: [], card: '' },
  };
}

const groceries = [['Apples 1kg', 2, 349], ['Oat milk', 1, 279], ['Crème fraîche', 3, 189]];

let r = cornerMarket({ number: 100101, items: groceries, phone: '(415) 555-0134', coupon: 'SAVE10',
                       card: '4111 1111 1111 1111', member: 'M-20417',
                       points: { earned: 16, balance: '1,216' } });
save('01-corner-sale-cp437', r.bytes, r.expect);
r = cornerMarket({ number: 100102, items: [['Coffee beans', 1, 1299]], codepage: 'cp850', cut: 'partial',
                   card: '5500-0000-0000-0004' });
save('02-corner-sale-cp850', r.bytes, r.expect);
r = cornerMarket({ number: 100103, items: [['Batteries AA', 2, 599]], kind: 'refund', codepage: 'windows1252' });
save('03-corner-refund-cp1252', r.bytes, r.expect);
r = cornerMarket({ number: 100104, items: [['Chocolate', 4, 150]], kind: 'void', member: '7001234567' });
save('04-corner-void', r.bytes, r.expect);
r = bistro({ number: 2077, items: [['Café Crème', 2, 380], ['Käsespätzle', 1, 1450], ['Apfelschorle', 2, 320]] });
save('05-bistro-cp858', r.bytes, r.expect);
r = bistro({ number: 2078, items: [['Crêpe Suzette', 1, 790]], codepage: 'windows1252' });
save('06-bistro-cp1252', r.bytes, r.expect);
// About 1 MB of raster image: 576 dots (72 bytes) wide, 14,600 rows.
r = cornerMarket({ number: 100105, items: [['Poster print', 1, 2500]], image: pattern(576, 14600) });
save('07-corner-raster-1mb', r.bytes, r.expect);
r = cornerMarket({ number: 100106, items: [['Stickers', 3, 99]], image: pattern(384, 96), imageMode: 'column',
                   card: '378282246310005' });
save('08-corner-column-image', r.bytes, r.expect);

// Printed without a cut: the tap has to end it by the idle timeout.
{
  const e = encoder();
  e.initialize().line('CORNER MARKET').line('Receipt: 100107').line('Date: 2026-03-14 16:00')
    .table([{ width: 28 }, { width: 13, align: 'right' }], [['1 x Gum @1.00', '1.00'], ['TOTAL', '1.08']])
    .line('Cash 1.08');
  save('09-corner-no-cut', e.encode(), { template: 'corner-market', receipt_number: '100107', kind: 'sale',
       total_minor: 108, tax_minor: 0, lines: 1, phone: '', coupons: [], card: '', no_cut: true });
}
// A shift report: no template describes it, so it is kept as unmatched.
{
  const e = encoder();
  e.initialize().bold(true).line('X-REPORT SHIFT 3').bold(false).line('Drawer count 12')
    .line('Refund slips 1').line('Card ref 6011 1111 1111 1117').cut();
  save('10-report-unmatched', e.encode(), { template: '', unmatched: true, card: '6011 1111 1111 1117' });
}

fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2));
console.log(`wrote ${manifest.length} receipts to ${outDir}`);
