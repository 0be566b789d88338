// Reads and writes per UTC day as a server-rendered SVG bar chart, with a text table for screen
// readers and anyone who prefers numbers. No chart library: a few rectangles.
import type { UsageRow } from "../lib/admin-api";

const W = 640;
const H = 240;
const M = { top: 16, right: 12, bottom: 44, left: 44 };

/** A round axis maximum at or above `max`: 1, 2, 5 × 10^n. */
function niceMax(max: number): number {
  if (max <= 4) return 4;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

export function UsageChart({ days, usage }: { days: string[]; usage: UsageRow[] }) {
  const byDay = new Map(days.map((day) => [day, { reads: 0, writes: 0 }]));
  for (const row of usage) {
    const slot = byDay.get(row.day);
    if (slot) {
      slot.reads += row.reads;
      slot.writes += row.writes;
    }
  }
  const data = days.map((day) => ({ day, ...(byDay.get(day) ?? { reads: 0, writes: 0 }) }));
  const top = niceMax(Math.max(0, ...data.map((d) => Math.max(d.reads, d.writes))));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const group = plotW / data.length;
  const bar = Math.max(2, (group - 6) / 2);
  const y = (value: number) => M.top + plotH - (value / top) * plotH;
  const ticks = [0, top / 4, top / 2, (3 * top) / 4, top];
  const totals = data.reduce(
    (t, d) => ({ reads: t.reads + d.reads, writes: t.writes + d.writes }),
    {
      reads: 0,
      writes: 0,
    },
  );
  const summary = `Reads and writes per day, ${days[0]} to ${days.at(-1)} (UTC): ${totals.reads} reads and ${totals.writes} writes in all.`;

  return (
    <figure className="chart">
      {/* The <title> is one text node: one of several (text and {expressions}) fails hydration. */}
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby="usage-title usage-desc"
        preserveAspectRatio="xMidYMid meet"
      >
        <title id="usage-title">Reads and writes per day</title>
        <desc id="usage-desc">{summary}</desc>
        {ticks.map((tick) => (
          <g key={tick} className="tick">
            <line x1={M.left} x2={W - M.right} y1={y(tick)} y2={y(tick)} />
            <text x={M.left - 6} y={y(tick)} dy="0.32em" textAnchor="end">
              {Number.isInteger(tick) ? tick : tick.toFixed(1)}
            </text>
          </g>
        ))}
        {data.map((d, i) => {
          const x = M.left + i * group + 3;
          return (
            <g key={d.day}>
              <rect
                className="bar-reads"
                data-day={d.day}
                data-value={d.reads}
                x={x}
                y={y(d.reads)}
                width={bar}
                height={M.top + plotH - y(d.reads)}
              >
                <title>{`${d.day}: ${d.reads} reads`}</title>
              </rect>
              <rect
                className="bar-writes"
                data-day={d.day}
                data-value={d.writes}
                x={x + bar}
                y={y(d.writes)}
                width={bar}
                height={M.top + plotH - y(d.writes)}
              >
                <title>{`${d.day}: ${d.writes} writes`}</title>
              </rect>
              {(i % 2 === data.length % 2 || data.length <= 7) && (
                <text
                  className="x-label"
                  x={M.left + i * group + group / 2}
                  y={H - M.bottom + 16}
                  textAnchor="middle"
                >
                  {d.day.slice(5)}
                </text>
              )}
            </g>
          );
        })}
        <line className="axis" x1={M.left} x2={W - M.right} y1={y(0)} y2={y(0)} />
        <text className="axis-title" x={M.left + plotW / 2} y={H - 6} textAnchor="middle">
          Day (UTC, month-day)
        </text>
        <text
          className="axis-title"
          transform={`translate(12 ${M.top + plotH / 2}) rotate(-90)`}
          textAnchor="middle"
        >
          Requests
        </text>
      </svg>
      <figcaption>
        <ul className="legend" aria-label="Legend">
          <li>
            <span className="swatch reads" aria-hidden="true" /> Reads ({totals.reads})
          </li>
          <li>
            <span className="swatch writes" aria-hidden="true" /> Writes ({totals.writes})
          </li>
        </ul>
        <details>
          <summary>Show the numbers</summary>
          <div className="table-wrap">
            <table id="usage-table">
              <caption className="visually-hidden">Reads and writes per day (UTC)</caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col" className="num">
                    Reads
                  </th>
                  <th scope="col" className="num">
                    Writes
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.map((d) => (
                  <tr key={d.day}>
                    <th scope="row">{d.day}</th>
                    <td className="num">{d.reads}</td>
                    <td className="num">{d.writes}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      </figcaption>
    </figure>
  );
}
