// The live training curve of Teach: loss (training and validation) and accuracy per epoch, as
// two inline SVG charts side by side. The figures come from the Rust session; this only draws.
import { svg } from './dom.js';

const WIDTH = 320;
const HEIGHT = 200;
const MARGIN = { top: 26, right: 12, bottom: 36, left: 44 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

/** One chart: `series` [{ name, key, className }] of `history` over epochs 1..`epochs`. */
function chart(title, history, epochs, series, top) {
  const x = (epoch) => MARGIN.left + (epochs <= 1 ? 0.5 : (epoch - 1) / (epochs - 1)) * PLOT_W;
  const y = (value) => MARGIN.top + (1 - Math.min(Math.max(value / top, 0), 1)) * PLOT_H;
  const last = history.at(-1);
  const label = series.map((s) => `${s.name} ${last ? last[s.key].toFixed(3) : '—'}`).join(', ');
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'training-curve', role: 'img', 'aria-label': `${title} after epoch ${last?.epoch ?? 0}: ${label}` });
  root.append(svg('title', {}, `${title}: ${label}`));
  for (let t = 0; t <= 1.0001; t += 0.25) {
    root.append(
      svg('line', { x1: MARGIN.left, y1: y(t * top), x2: MARGIN.left + PLOT_W, y2: y(t * top), class: 'grid' }),
      svg('text', { x: MARGIN.left - 6, y: y(t * top) + 4, 'text-anchor': 'end', class: 'tick' }, (t * top).toFixed(top < 2 ? 2 : 1)),
    );
  }
  root.append(
    svg('rect', { x: MARGIN.left, y: MARGIN.top, width: PLOT_W, height: PLOT_H, class: 'frame' }),
    svg('text', { x: MARGIN.left + PLOT_W / 2, y: HEIGHT - 4, 'text-anchor': 'middle', class: 'axis-label' }, `${title} by epoch (of ${epochs})`),
  );
  series.forEach((s, index) => {
    if (history.length > 0) {
      const d = history.map((record, i) => `${i === 0 ? 'M' : 'L'}${x(record.epoch)},${y(record[s.key])}`).join(' ');
      root.append(svg('path', { d, class: `line ${s.className}` }));
      for (const record of history) root.append(svg('circle', { cx: x(record.epoch), cy: y(record[s.key]), r: record.best && s.key.startsWith('val') ? 4 : 2.5, class: `dot ${s.className}` }));
    }
    // Above the plot: the accuracy lines run along its top.
    root.append(svg('text', { x: MARGIN.left + index * 110, y: 14, class: `legend ${s.className}` }, `— ${s.name}`));
  });
  return root;
}

/** Both charts for `history` (the session's epochs so far) out of `epochs` planned. */
export function trainingCurves(history, epochs) {
  const topLoss = Math.max(1, ...history.flatMap((r) => [r.train_loss, r.val_loss].filter(Number.isFinite))) * 1.05;
  return [
    chart('Loss', history, epochs, [
      { name: 'training', key: 'train_loss', className: 'train' },
      { name: 'validation', key: 'val_loss', className: 'val' },
    ], topLoss),
    chart('Accuracy', history, epochs, [
      { name: 'training', key: 'train_accuracy', className: 'train' },
      { name: 'validation', key: 'val_accuracy', className: 'val' },
    ], 1),
  ];
}
