// main.js: the page's flow. Ask for the key (once per tab), then load the figures for the
// chosen range, the checks, and answer "why isn't this booking counted?" on demand. A refused
// key brings the key form back with the server's reason; a route this server lacks leaves a
// note in its section.

const state = { range: { range: '7d' }, label: '7d', timeZone: 'UTC', loads: 0 };

function say(text) {
  $('status').textContent = text;
}

function showLogin(message) {
  session.clear();
  document.body.dataset.state = 'login';
  $('board').hidden = true;
  $('change-key').hidden = true;
  $('account').hidden = true;
  $('login').hidden = false;
  $('login-error').hidden = !message;
  $('login-error').textContent = message || '';
  say('');
  $('api-key').value = '';
  $('api-key').focus();
}

function refused(error) {
  showLogin(`That API key was not accepted: ${error.describe()}. Check it and enter it again.`);
}

/** A section's error: a missing route is a note, a refused key goes back to the key form. */
function sectionError(container, error, route) {
  if (error.unauthorised) {
    refused(error);
  } else if (error.missingRoute) {
    replace(container, note(`This server has no ${route} route yet, so this section is empty.`));
  } else {
    replace(container, note(`${route} failed: ${error.describe()}`));
  }
}

function showBoard() {
  $('login').hidden = true;
  $('board').hidden = false;
  $('change-key').hidden = false;
  loadMetrics();
  loadHealth();
}

async function loadMetrics() {
  const load = ++state.loads;
  document.body.dataset.state = 'loading';
  say('Loading the figures…');
  let report;
  try {
    report = await api('metrics', { ...state.range, by: 'campaign' });
  } catch (error) {
    if (load !== state.loads) return;
    document.body.dataset.state = 'error';
    if (error.unauthorised) refused(error);
    else say(`The figures could not be loaded: ${error.describe()}`);
    return;
  }
  if (load !== state.loads) return;
  const range = report.range;
  state.timeZone = range.timezone;
  state.label = range.label;
  const sync = report.lastSync
    ? `last sync ${fmt.when(report.lastSync.at, range.timezone)} (${report.lastSync.ok ? 'succeeded' : 'FAILED'})`
    : 'no sync has run';
  $('account').textContent = `Account ${report.accountId} · ${range.timezone} · ${sync}`;
  $('account').hidden = false;
  if (state.range.range) {
    // The dates a preset covers, as a starting point for picking dates.
    $('range-from').value = range.from;
    $('range-to').value = range.to;
  }
  $('range-label').textContent = `Showing bookings made ${fmt.day(range.from)} – ${fmt.day(range.to)} (${range.label}).`;
  renderKpis($('kpis'), report.kpis, range);
  renderChart($('chart'), report.series);
  renderSeriesTable($('series-table'), report.series);
  renderUpcoming($('upcoming'), report.upcoming, range.timezone, act);
  renderBreakdown($('campaigns'), report.breakdown);
  document.body.dataset.state = 'ready';
  say(`Updated at ${new Date().toLocaleTimeString('en-GB')}.`);
}

async function loadHealth() {
  const container = $('health');
  delete container.dataset.loaded;
  replace(container, h('p', { class: 'muted', text: 'Running the checks (this asks the providers)…' }));
  try {
    renderHealth(container, await api('health'));
  } catch (error) {
    container.dataset.loaded = 'error';
    sectionError(container, error, 'GET /health');
  }
}

async function act(action, appointmentId, body, button) {
  button.disabled = true;
  try {
    await api(`appointments/${encodeURIComponent(appointmentId)}/${action}`, {}, body);
    say(`Done: ${action} sent for ${appointmentId}.`);
    loadMetrics();
  } catch (error) {
    button.disabled = false;
    if (error.unauthorised) refused(error);
    else if (error.missingRoute) say(`This server has no POST /appointments/{id}/${action} route.`);
    else say(`Not done: ${error.describe()}`);
  }
}

function rangeFromForm() {
  const chosen = document.querySelector('input[name="range"]:checked');
  if (!chosen || chosen.value !== 'dates') return { range: chosen ? chosen.value : '7d' };
  const from = $('range-from').value;
  const to = $('range-to').value;
  if (!from || !to) return null;
  return { from, to };
}

function applyRange() {
  const range = rangeFromForm();
  if (!range) {
    say('Pick both dates: from and to.');
    return;
  }
  state.range = range;
  loadMetrics();
}

function start() {
  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('api-key').value.trim();
    if (!key) return;
    session.set(key);
    $('api-key').value = '';
    showBoard();
  });
  $('change-key').addEventListener('click', () => showLogin(''));
  $('range-form').addEventListener('submit', (event) => {
    event.preventDefault();
    applyRange();
  });
  for (const radio of document.querySelectorAll('input[name="range"]')) {
    radio.addEventListener('change', () => {
      if (radio.value !== 'dates') applyRange();
      else $('range-from').focus();
    });
  }
  for (const id of ['range-from', 'range-to']) {
    $(id).addEventListener('change', () => {
      document.querySelector('input[name="range"][value="dates"]').checked = true;
    });
  }
  $('health-run').addEventListener('click', loadHealth);
  $('explain-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const result = $('explain-result');
    const value = $('explain-value').value.trim();
    if (!value) return;
    replace(result, h('p', { class: 'muted', text: 'Looking…' }));
    try {
      const answer = await api('explain', { [$('explain-by').value]: value, ...state.range });
      renderExplanation(result, answer, state.label);
    } catch (error) {
      sectionError(result, error, 'GET /explain');
    }
  });
  if (session.key()) showBoard();
  else showLogin('');
}

start();
