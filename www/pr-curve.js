// The precision–recall curve as an inline SVG, drawn here (no chart library, no third party).
import { svg } from './dom.js';

const WIDTH = 320;
const HEIGHT = 240;
const MARGIN = { top: 12, right: 14, bottom: 40, left: 48 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

const x = (recall) => MARGIN.left + recall * PLOT_W;
const y = (precision) => MARGIN.top + (1 - precision) * PLOT_H;

/**
 * @param curve   { points, average_precision } from the evaluation core
 * @param current { precision, recall } at the page's threshold (null metrics are not marked)
 * @param positiveName the positive class, for the accessible description
 */
export function prCurveSvg(curve, current, positiveName) {
  const ap = curve.average_precision === null ? 'undefined' : curve.average_precision.toFixed(3);
  const root = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: 'pr-curve',
    role: 'img',
    'aria-label': `Precision–recall curve for class ${positiveName}: average precision ${ap}`,
  });
  root.append(svg('title', {}, `Precision–recall curve for "${positiveName}" (average precision ${ap})`));

  // Grid and tick labels every 0.25.
  for (let t = 0; t <= 1.0001; t += 0.25) {
    root.append(
      svg('line', { x1: x(t), y1: y(0), x2: x(t), y2: y(1), class: 'grid' }),
      svg('line', { x1: x(0), y1: y(t), x2: x(1), y2: y(t), class: 'grid' }),
      svg('text', { x: x(t), y: y(0) + 16, 'text-anchor': 'middle', class: 'tick' }, t.toFixed(2)),
      svg('text', { x: x(0) - 6, y: y(t) + 4, 'text-anchor': 'end', class: 'tick' }, t.toFixed(2)),
    );
  }
  root.append(
    svg('rect', { x: x(0), y: y(1), width: PLOT_W, height: PLOT_H, class: 'frame' }),
    svg('text', { x: x(0.5), y: HEIGHT - 4, 'text-anchor': 'middle', class: 'axis-label' }, 'Recall'),
    svg('text', { x: 12, y: y(0.5), 'text-anchor': 'middle', class: 'axis-label', transform: `rotate(-90 12 ${y(0.5)})` }, 'Precision'),
  );

  if (curve.points.length > 0) {
    // Step curve: precision holds until recall moves on to the next threshold.
    let d = `M${x(curve.points[0].recall)},${y(curve.points[0].precision)}`;
    for (const point of curve.points.slice(1)) d += ` H${x(point.recall)} V${y(point.precision)}`;
    root.append(svg('path', { d, class: 'curve' }));
  } else {
    root.append(svg('text', { x: x(0.5), y: y(0.5), 'text-anchor': 'middle', class: 'tick' }, 'no positive examples'));
  }

  if (current && current.precision !== null && current.recall !== null) {
    root.append(
      svg(
        'circle',
        { cx: x(current.recall), cy: y(current.precision), r: 5, class: 'current' },
        svg('title', {}, `current threshold: precision ${current.precision.toFixed(3)}, recall ${current.recall.toFixed(3)}`),
      ),
    );
  }
  return root;
}
