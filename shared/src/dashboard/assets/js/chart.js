// chart.js: the daily series as an inline SVG bar chart (booked and cancelled per day, with a
// y axis, dated x labels and a tooltip per day), and the same numbers as a table.

const SERIES_COLUMNS = [
  ['booked', 'Booked'],
  ['cancelled', 'Cancelled'],
  ['rescheduled', 'Rescheduled'],
  ['noShows', 'No-shows'],
  ['completed', 'Completed'],
];

/** Long ranges are drawn a week per bar, so bars stay wide enough to see. */
function buckets(series) {
  if (series.length <= 120) return series.map((day) => ({ ...day, until: day.date }));
  const weeks = [];
  for (let i = 0; i < series.length; i += 7) {
    const days = series.slice(i, i + 7);
    const week = { date: days[0].date, until: days[days.length - 1].date };
    for (const [field] of SERIES_COLUMNS) week[field] = days.reduce((sum, d) => sum + d[field], 0);
    weeks.push(week);
  }
  return weeks;
}

/** A step between y ticks giving at most 5 of them: 1, 2, 5, 10, 20, 50... */
function tickStep(max) {
  for (let scale = 1; ; scale *= 10) {
    for (const step of [1, 2, 5]) if (max / (step * scale) <= 5) return step * scale;
  }
}

function period(bar) {
  return bar.until === bar.date ? fmt.day(bar.date) : `${fmt.day(bar.date)} – ${fmt.day(bar.until)}`;
}

function renderChart(container, series) {
  if (!series.length) {
    replace(container, note('No days in this range.'));
    return;
  }
  const bars = buckets(series);
  const [width, height, left, right, top, bottom] = [720, 250, 36, 8, 30, 36];
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const max = Math.max(1, ...bars.map((b) => Math.max(b.booked, b.cancelled)));
  const step = tickStep(max);
  const yMax = Math.ceil(max / step) * step;
  const y = (v) => top + plotHeight - (v / yMax) * plotHeight;
  const band = plotWidth / bars.length;
  const barWidth = Math.max(0.5, (band * 0.8) / 2);
  const total = (field) => series.reduce((sum, d) => sum + d[field], 0);
  const unit = bars.length === series.length ? 'day' : 'week';

  const chart = s('svg', {
    viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'chart-title chart-desc',
  });
  chart.append(
    s('title', { id: 'chart-title', text: `Bookings per ${unit}` }),
    s('desc', {
      id: 'chart-desc',
      text: `${period({ date: series[0].date, until: series[series.length - 1].date })}: ` +
        `${total('booked')} booked, ${total('cancelled')} cancelled. The table below lists every day.`,
    }),
  );
  const axis = s('g', { class: 'axis' });
  for (let v = 0; v <= yMax; v += step) {
    axis.append(
      s('line', { class: 'grid', x1: left, x2: width - right, y1: y(v), y2: y(v) }),
      s('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', text: v }),
    );
  }
  const every = Math.ceil(bars.length / 8);
  bars.forEach((bar, i) => {
    if (i % every === 0) {
      axis.append(s('text', {
        x: left + (i + 0.5) * band, y: height - bottom + 16, 'text-anchor': 'middle',
        text: fmt.day(bar.date, true),
      }));
    }
  });
  const plot = s('g', {});
  bars.forEach((bar, i) => {
    const x = left + i * band + band * 0.1;
    const tip = `${period(bar)}: ${bar.booked} booked, ${bar.cancelled} cancelled, ` +
      `${bar.completed} completed, ${bar.noShows} no-shows`;
    plot.append(s('g', { class: 'hover' }, [
      s('title', { text: tip }),
      s('rect', { x: left + i * band, y: top, width: band, height: plotHeight, fill: 'transparent' }),
      s('rect', { class: 'bar-booked', x, y: y(bar.booked), width: barWidth, height: y(0) - y(bar.booked) }),
      s('rect', {
        class: 'bar-cancelled', x: x + barWidth, y: y(bar.cancelled), width: barWidth,
        height: y(0) - y(bar.cancelled),
      }),
    ]));
  });
  const legend = s('g', { class: 'legend' }, [
    s('rect', { class: 'bar-booked', x: left, y: 8, width: 12, height: 12 }),
    s('text', { x: left + 16, y: 18, text: 'Booked (left bar)' }),
    s('rect', { class: 'bar-cancelled', x: left + 130, y: 8, width: 12, height: 12 }),
    s('text', { x: left + 146, y: 18, text: 'Cancelled (right bar)' }),
  ]);
  chart.append(axis, plot, legend);
  replace(container, h('div', { class: 'chart' }, chart));
}

function renderSeriesTable(container, series) {
  const rows = series.map((day) => [fmt.day(day.date), ...SERIES_COLUMNS.map(([f]) => fmt.int(day[f]))]);
  replace(container, table(
    [{ label: 'Day' }, ...SERIES_COLUMNS.map(([, label]) => ({ label, num: true }))],
    rows,
    'Bookings per day',
  ));
}

