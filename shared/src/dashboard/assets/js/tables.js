// tables.js: the KPI tiles and the tables (upcoming calls, campaigns, checks), each built from
// the JSON its route answers, with the field names GET /metrics uses.

const KPIS = [
  ['appointmentsBooked', 'Booked', 'made in the range, not cancelled'],
  ['appointmentsCancelled', 'Cancelled', 'or rejected by the host'],
  ['appointmentsRescheduled', 'Rescheduled', 'moved at least once'],
  ['noShows', 'No-shows', 'the lead did not come'],
  ['completed', 'Completed', 'the call took place'],
  ['showRate', 'Show rate', 'completed ÷ (completed + no-shows)'],
  ['leadsBooked', 'Leads booked', 'distinct leads with a booking'],
  ['unmatchedBookings', 'Unmatched', 'bookings with no lead'],
  ['pending', 'Pending', 'waiting for the host to confirm'],
];

/** A table: the first cell of each row is its header. Cells are text or elements. */
function table(columns, rows, caption) {
  const head = h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null, text: c.label })));
  const body = rows.map((cells) => h('tr', {}, cells.map((cell, i) => h(
    i === 0 ? 'th' : 'td',
    { scope: i === 0 ? 'row' : null, class: columns[i].num ? 'num' : null },
    cell,
  ))));
  return h('div', { class: 'table-wrap' }, h('table', {}, [
    caption ? h('caption', { class: 'muted', text: caption }) : null,
    h('thead', {}, head),
    h('tbody', {}, body),
  ]));
}

function renderKpis(list, kpis, range) {
  list.dataset.range = range.label;
  replace(list, ...KPIS.map(([field, label, hint]) => {
    const value = kpis[field];
    const attention = field === 'unmatchedBookings' && value > 0;
    return h('li', {
      class: attention ? 'tile attention' : 'tile',
      id: `kpi-${field}`,
      'data-kpi': field,
      'data-value': JSON.stringify(value === undefined ? null : value),
    }, [
      h('span', { class: 'tile-label', text: label }),
      h('span', { class: 'tile-value', text: field === 'showRate' ? fmt.rate(value) : fmt.int(value) }),
      h('span', { class: 'tile-hint', text: attention ? `Needs a look: ${hint}` : hint }),
    ]);
  }));
}

/**
 * The next calls, in the account's time zone. `act(appointment, button)` runs an action after
 * its confirm step.
 */
function renderUpcoming(container, upcoming, timeZone, act) {
  if (!upcoming.length) {
    replace(container, h('p', { class: 'muted', text: 'No calls booked ahead.' }));
    return;
  }
  const columns = [
    { label: `When (${timeZone})` }, { label: 'Attendee' }, { label: 'Event type' },
    { label: 'Provider' }, { label: 'Action' },
  ];
  const rows = upcoming.map((call) => [
    fmt.when(call.scheduledAt, timeZone),
    h('span', { class: 'attendee', text: fmt.or(call.attendeeName, '(no name given)') }),
    fmt.or(call.eventType, '–'),
    fmt.provider(call.provider),
    cancelControl(call, act),
  ]);
  replace(container, table(columns, rows, `The next ${upcoming.length} live calls, soonest first`));
}

/** "Cancel…" opens a confirm step with an optional reason; nothing is sent before "Yes". */
function cancelControl(call, act) {
  const cell = h('div', {});
  const open = h('button', {
    type: 'button', class: 'secondary', text: 'Cancel…',
    'aria-label': `Cancel the call with ${fmt.or(call.attendeeName, 'this attendee')}`,
  });
  open.addEventListener('click', () => {
    open.hidden = true;
    const reason = h('input', { type: 'text', id: `reason-${call.appointmentId}` });
    const yes = h('button', { type: 'button', class: 'danger', text: `Yes, cancel at ${fmt.provider(call.provider)}` });
    const no = h('button', { type: 'button', class: 'secondary', text: 'Keep it' });
    const step = h('div', { class: 'confirm', role: 'group', 'aria-label': 'Confirm the cancellation' }, [
      h('label', { for: reason.id, text: 'Reason (optional) ' }), reason, ' ', yes, ' ', no,
    ]);
    no.addEventListener('click', () => {
      step.remove();
      open.hidden = false;
      open.focus();
    });
    yes.addEventListener('click', () => act('cancel', call.appointmentId, { reason: reason.value || undefined }, yes));
    cell.append(step);
    reason.focus();
  });
  cell.append(open);
  return cell;
}

function kpiCells(kpis) {
  return KPIS.map(([field]) => (field === 'showRate' ? fmt.rate(kpis[field]) : fmt.int(kpis[field])));
}

function renderBreakdown(container, breakdown) {
  if (!breakdown) {
    replace(container, note('This server does not break the figures down by campaign (GET /metrics?by=campaign).'));
    return;
  }
  if (!breakdown.length) {
    replace(container, h('p', { class: 'muted', text: 'No bookings in this range.' }));
    return;
  }
  const columns = [{ label: 'Campaign' }, ...KPIS.map(([, label]) => ({ label, num: true }))];
  const rows = breakdown.map((entry) => [
    entry.key === null ? h('em', { text: '(no campaign)' }) : String(entry.key),
    ...kpiCells(entry.kpis),
  ]);
  replace(container, table(columns, rows, 'Bookings credited to each campaign, most booked first'));
}

const STATES = { ok: '✓ OK', warn: '! Warning', fail: '✗ Failing' };

function renderHealth(container, report) {
  const count = (status) => report.checks.filter((c) => c.status === status).length;
  const summary = `${count('ok')} OK, ${count('warn')} warning${count('warn') === 1 ? '' : 's'}, ` +
    `${count('fail')} failing`;
  const rows = report.checks.map((check) => [
    h('code', { text: check.check }),
    h('span', { class: `state state-${check.status}`, text: STATES[check.status] || check.status }),
    check.detail,
    fmt.or(check.fix, '–'),
  ]);
  container.dataset.loaded = 'true';
  replace(
    container,
    h('p', { class: count('fail') ? 'error' : null, text: summary }),
    table([{ label: 'Check' }, { label: 'Status' }, { label: 'Detail' }, { label: 'Fix' }], rows),
  );
}

