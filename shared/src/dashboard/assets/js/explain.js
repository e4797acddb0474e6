// explain.js: "why isn't this booking counted?" — GET /explain's answer shown as facts about
// each appointment found (where it counts, its lead, its history) and the likely reasons.

const MATCHED_BY = {
  tracked_id: 'by the lead id in the booking link',
  phone: 'by phone',
  email: 'by email',
  inherited: 'from the booking it replaced',
  created: 'a new lead, created from the attendee',
  manual: 'chosen by hand',
  none: 'no lead',
};

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.flatMap(([term, value]) => [h('dt', { text: term }), h('dd', {}, value)]));
}

function whereItCounts(apt, rangeLabel) {
  const where = apt.counts.length
    ? `Counted on ${fmt.day(apt.countedOn)} in ${apt.counts.join(', ')}.`
    : `Not counted by itself: a later booking of its chain is counted instead.`;
  const shown = ['7d', '30d', '90d'].filter((r) => apt.inRanges[r]);
  const inRange = apt.inRange === undefined ? '' : apt.inRange
    ? ` Inside the range shown (${rangeLabel}).`
    : ` Outside the range shown (${rangeLabel}).`;
  const ranges = shown.length ? ` Today it shows in ${shown.join(', ')} and all.` : ' Today only "all" (or its dates) shows it.';
  return where + inRange + ranges;
}

function explainedAppointment(apt, timeZone, rangeLabel) {
  const lead = apt.lead || {};
  const history = apt.history.length
    ? h('ol', {}, apt.history.map((e) => h('li', {
      text: `${fmt.when(e.at, timeZone)} · ${e.source} · ${e.trigger} · ${e.outcome}`,
    })))
    : 'none kept';
  return h('article', { class: 'explained' }, [
    h('h3', { text: `${fmt.provider(apt.provider)} booking ${apt.bookingKey}: ${apt.status.replace('_', '-')}` }),
    facts([
      ['Attendee', fmt.or(apt.attendeeName, '(no name given)')],
      ['Event type', fmt.or(apt.eventType, '–')],
      ['Call at', fmt.when(apt.scheduledAt, timeZone)],
      ['First booked', fmt.when(apt.bookedAt, timeZone)],
      ['Where it counts', whereItCounts(apt, rangeLabel)],
      ['Lead', `${fmt.or(lead.leadId, 'none')} (${MATCHED_BY[lead.matchedBy] || lead.matchedBy}): ${fmt.or(lead.detail, '')}`],
      ['Appointment id', h('code', { text: apt.appointmentId })],
      ['History', history],
    ]),
  ]);
}

function renderExplanation(container, answer, rangeLabel) {
  const parts = [];
  parts.push(h('p', {
    class: answer.found ? null : 'error',
    text: answer.found
      ? `Found ${answer.appointments.length} appointment${answer.appointments.length === 1 ? '' : 's'} ` +
        `for this ${answer.query.by}.`
      : `No booking with this ${answer.query.by} is stored in this account.`,
  }));
  for (const apt of answer.appointments) parts.push(explainedAppointment(apt, answer.timezone, rangeLabel));
  if (answer.reasons.length) {
    parts.push(h('h3', { text: answer.found ? 'Worth knowing' : 'Likely reasons, most likely first' }));
    parts.push(h('ol', { class: 'reasons' }, answer.reasons.map((r) => h('li', {}, [
      h('code', { text: r.code }), ': ', r.detail,
    ]))));
  }
  replace(container, ...parts);
}

