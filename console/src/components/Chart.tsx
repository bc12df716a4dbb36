// A small SVG chart (bars or a line) over labelled points: enough for calls over time and services used,
// without a chart library. The SVG scales to its container; the figures are also given as a table for
// screen readers.

export interface ChartPoint {
  readonly label: string;
  readonly value: number;
}

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { top: 12, right: 12, bottom: 40, left: 44 };

/** A round upper bound for the axis: 1, 2 or 5 times a power of ten. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function Chart({
  title,
  points,
  kind = 'bar',
  unit = '',
}: {
  title: string;
  points: readonly ChartPoint[];
  kind?: 'bar' | 'line';
  unit?: string;
}) {
  if (points.length === 0) return <p className="empty">No data for {title.toLowerCase()}.</p>;
  const max = niceMax(Math.max(...points.map((p) => p.value)));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / points.length;
  const y = (value: number) => PAD.top + plotHeight - (value / max) * plotHeight;
  const x = (i: number) => PAD.left + slot * i + slot / 2;
  const barWidth = Math.min(slot * 0.7, 48);
  // Label every point when they fit, else about eight evenly spaced ones.
  const labelEvery = Math.max(1, Math.ceil(points.length / 8));
  // Counts are whole numbers: a half-way tick only where it is one.
  const ticks = Number.isInteger(max / 2) ? [0, max / 2, max] : [0, max];

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={title}
        preserveAspectRatio="xMidYMid meet"
      >
        {ticks.map((tick) => (
          <g key={tick}>
            <line className="chart-grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />
            <text className="chart-axis" x={PAD.left - 6} y={y(tick) + 4} textAnchor="end">
              {tick}
            </text>
          </g>
        ))}
        {kind === 'bar' ? (
          points.map((point, i) => (
            <rect
              key={point.label}
              className="chart-bar"
              x={x(i) - barWidth / 2}
              width={barWidth}
              y={y(point.value)}
              height={Math.max(0, PAD.top + plotHeight - y(point.value))}
            >
              <title>{`${point.label}: ${point.value}${unit}`}</title>
            </rect>
          ))
        ) : (
          <>
            <polyline
              className="chart-line"
              points={points.map((point, i) => `${x(i)},${y(point.value)}`).join(' ')}
            />
            {points.map((point, i) => (
              <circle key={point.label} className="chart-dot" cx={x(i)} cy={y(point.value)} r={3}>
                <title>{`${point.label}: ${point.value}${unit}`}</title>
              </circle>
            ))}
          </>
        )}
        {points.map((point, i) =>
          i % labelEvery === 0 ? (
            <text
              key={point.label}
              className="chart-axis"
              x={x(i)}
              y={HEIGHT - PAD.bottom + 16}
              textAnchor="middle"
            >
              {point.label.length > 14 ? `${point.label.slice(0, 13)}…` : point.label}
            </text>
          ) : null,
        )}
      </svg>
      {/* A table ignores a height smaller than its rows: the hiding box is a div around it. */}
      <div className="visually-hidden">
        <table>
          <caption>{title}</caption>
          <tbody>
            {points.map((point) => (
              <tr key={point.label}>
                <th scope="row">{point.label}</th>
                <td>
                  {point.value}
                  {unit}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
