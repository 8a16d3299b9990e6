#include "api/dashboard_assets.h"

namespace ppcs::api {

const char* const kDashboardHtml = R"PPCS(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ppcs dashboard</title>
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<header>
  <h1>ppcs</h1>
  <nav>
    <a id="nav-clusters" href="#clusters">Clusters</a>
    <a id="nav-jobs" href="#jobs">Jobs</a>
    <a id="nav-bench" href="#bench">Bench</a>
    <a id="nav-stats" href="#stats">Stats</a>
  </nav>
  <span id="status-line"></span>
</header>
<main>
  <section id="view-clusters" class="view"></section>
  <section id="view-jobs" class="view">
    <table id="jobs">
      <thead><tr><th>Job</th><th>Cluster</th><th>Program</th><th>State</th><th>NP</th><th>Waited</th><th>Ran</th><th>Exit</th></tr></thead>
      <tbody></tbody>
    </table>
    <div id="job-detail" hidden>
      <h2>Job <span id="job-id"></span> <span id="job-stream-state"></span></h2>
      <pre id="job-output"></pre>
    </div>
  </section>
  <section id="view-bench" class="view">
    <ul id="bench-list"></ul>
    <p id="bench-empty" hidden>No bench results yet: run <code>ppcs-cluster bench</code>.</p>
    <img id="bench-plot" alt="bench plot" hidden>
  </section>
  <section id="view-stats" class="view">
    <label>Cluster <select id="stats-cluster"></select></label>
    <span id="stats-note"></span>
    <div id="stats-charts"></div>
  </section>
</main>
</body>
</html>
)PPCS";

const char* const kDashboardStyle = R"PPCS([hidden] { display: none !important; }
body { font-family: system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header { display: flex; align-items: center; gap: 1.5em; padding: 0.6em 1.2em; background: #1d2330; color: #fff; }
header h1 { font-size: 1.2em; margin: 0; }
nav a { color: #c9d3e6; text-decoration: none; margin-right: 1em; }
nav a.active { color: #fff; font-weight: bold; border-bottom: 2px solid #6aa3ff; }
#status-line { margin-left: auto; font-size: 0.85em; color: #c9d3e6; }
main { padding: 1em 1.2em; }
.view { display: none; }
.view.shown { display: block; }
.cluster { background: #fff; border: 1px solid #dde1e8; border-radius: 6px; padding: 0.6em 1em; margin-bottom: 1em; }
.cluster h2 { font-size: 1.1em; margin: 0.2em 0 0.5em; }
.ready-count { font-weight: normal; font-size: 0.9em; margin-left: 0.8em; color: #2d7a3d; }
.ready-count.partial { color: #b5462f; }
table { border-collapse: collapse; background: #fff; font-size: 0.9em; }
th, td { border-bottom: 1px solid #e4e7ec; padding: 0.3em 0.7em; text-align: left; }
tbody tr[data-job-id] { cursor: pointer; }
tbody tr[data-job-id]:hover, tr.selected { background: #eaf1ff; }
.state-running { color: #1f5fbf; font-weight: bold; }
.state-finished, .ready-yes { color: #2d7a3d; }
.state-failed, .state-timed-out, .state-cancelled, .state-stopped, .state-interrupted, .ready-no { color: #b5462f; }
.events { font-size: 0.85em; color: #4a5263; margin: 0.5em 0 0; padding-left: 1.2em; }
pre#job-output { background: #10141c; color: #d8dee9; padding: 0.7em; min-height: 6em; max-height: 30em; overflow: auto; }
#bench-plot { display: block; max-width: 100%; background: #fff; border: 1px solid #dde1e8; margin-top: 0.8em; }
#bench-list a.selected { font-weight: bold; }
#stats-charts { display: flex; flex-wrap: wrap; gap: 0.8em; margin-top: 0.8em; }
.member-chart { background: #fff; border: 1px solid #dde1e8; border-radius: 6px; padding: 0.4em 0.7em; }
.member-chart h3 { font-size: 0.9em; margin: 0.2em 0; }
.chart-label { font-size: 0.8em; color: #4a5263; }
.chart-line-cpu { fill: none; stroke: #1f5fbf; stroke-width: 1.5; }
.chart-line-memory { fill: none; stroke: #8a3ab9; stroke-width: 1.5; }
.chart-frame { fill: #fafbfc; stroke: #dde1e8; }
.error { color: #b5462f; }
)PPCS";

const char* const kDashboardScript = R"PPCS('use strict';
// The dashboard of ppcsd: one page, four views chosen by the URL's fragment. Every value from
// ppcsd goes into the page through textContent, never as markup.

const views = ['clusters', 'jobs', 'bench', 'stats'];
let timer = null;        // the current view's poll
let jobEvents = null;    // the EventSource of the job shown
const statsHistory = {}; // hostname -> [{cpu, memory}]
let statsCluster = '';

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function svgEl(tag, attributes) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
  return node;
}

function say(text) { document.getElementById('status-line').textContent = text; }

async function getJson(path) {
  const response = await fetch(path, {credentials: 'same-origin', cache: 'no-store'});
  if (response.status === 401) throw new Error('not logged in: run `ppcs-cluster dashboard` for a new link');
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? body.error.message : 'HTTP ' + response.status);
  return body;
}

function seconds(value) {
  if (!value && value !== 0) return '';
  if (value < 60) return value.toFixed(1) + ' s';
  return Math.floor(value / 60) + ' min ' + Math.round(value % 60) + ' s';
}

// Runs work now and again everyMs after each run ends, until the view changes.
let generation = 0;
function poll(work, everyMs) {
  const mine = ++generation;
  const run = () => work().then(() => say('updated ' + new Date().toLocaleTimeString()), (e) => say(e.message))
                          .then(() => { if (mine === generation) timer = setTimeout(run, everyMs); });
  run();
}

// Clusters: members with slot, address, host, state and readiness; recent events.
function renderCluster(status) {
  const box = el('div', null, 'cluster');
  box.dataset.cluster = status.name;
  const title = el('h2', status.name);
  box.appendChild(title);
  if (status.error) {
    box.appendChild(el('p', status.error, 'error'));
    return box;
  }
  const members = status.members || [];
  const ready = members.filter((m) => m.ready).length;
  const count = el('span', ready + '/' + members.length + ' ready', 'ready-count' + (ready === members.length ? '' : ' partial'));
  count.dataset.ready = ready;
  count.dataset.members = members.length;
  title.appendChild(count);
  box.appendChild(el('p', 'MPI ' + status.mpi + ', subnet ' + status.subnet + ', ' + status.ready_slots + ' ready slots, nodes wanted: ' + status.nodes));
  const table = el('table');
  const head = el('tr');
  for (const name of ['Role', 'Slot', 'Hostname', 'Address', 'Host', 'State', 'Ready']) head.appendChild(el('th', name));
  table.appendChild(el('thead')).appendChild(head);
  const body = table.appendChild(el('tbody'));
  for (const m of members) {
    const row = el('tr', null, 'member');
    for (const value of [m.role, m.slot, m.hostname, m.address, m.host, m.state + (m.message ? ' (' + m.message + ')' : '')])
      row.appendChild(el('td', value));
    row.appendChild(el('td', m.ready ? 'yes' : 'no', m.ready ? 'ready-yes' : 'ready-no'));
    body.appendChild(row);
  }
  box.appendChild(table);
  const events = (status.events || []).slice(-10);
  if (events.length) {
    const list = el('ul', null, 'events');
    for (const event of events) list.appendChild(el('li', event));
    box.appendChild(el('h3', 'Recent events'));
    box.appendChild(list);
  }
  return box;
}

async function showClusters() {
  const clusters = await getJson('/dashboard/api/clusters');
  const view = document.getElementById('view-clusters');
  view.replaceChildren(...clusters.map(renderCluster));
  if (!clusters.length) view.appendChild(el('p', 'No clusters: start one with `ppcs-cluster up`.'));
}

// Jobs: the queue (running, queued, recent); a chosen job's output live.
function jobRow(job, selected) {
  const row = el('tr');
  row.dataset.jobId = job.id;
  if (String(job.id) === selected) row.classList.add('selected');
  let ran = job.seconds;
  if (job.state === 'running' && job.started_at) ran = (Date.now() - Date.parse(job.started_at)) / 1000;
  const program = [job.program].concat(job.args || []).join(' ');
  const cells = [job.id, job.cluster, program, job.state, job.np, seconds(job.waited_seconds), seconds(ran),
                 job.exit_code === undefined || job.exit_code === null ? '' : job.exit_code];
  cells.forEach((value, i) => row.appendChild(el('td', value, i === 3 ? 'state state-' + job.state : '')));
  row.addEventListener('click', () => { location.hash = '#jobs/' + job.id; });
  return row;
}

async function showJobs(selected) {
  const jobs = (await getJson('/dashboard/api/jobs')).jobs || [];
  const body = document.querySelector('#jobs tbody');
  body.replaceChildren(...jobs.map((job) => jobRow(job, selected)));
}

function followJob(id) {
  const detail = document.getElementById('job-detail');
  const output = document.getElementById('job-output');
  const state = document.getElementById('job-stream-state');
  detail.hidden = false;
  document.getElementById('job-id').textContent = id;
  output.textContent = '';
  state.textContent = 'streaming';
  jobEvents = new EventSource('/dashboard/api/jobs/' + encodeURIComponent(id) + '/events');
  // Every (re)connection replays the job's events from its start.
  jobEvents.onopen = () => { output.textContent = ''; };
  jobEvents.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === 'progress') {
      if (event.phase === 'stdout' || event.phase === 'stderr') output.append(event.text);
      else if (event.phase !== 'job-id') output.append('[ppcs] ' + event.text + '\n');
      output.scrollTop = output.scrollHeight;
    } else if (event.type === 'result' || event.type === 'error') {
      state.textContent = event.type === 'result' ? 'ended: ' + event.result.state + ', exit ' + event.result.exit_code
                                                  : 'error: ' + event.message;
      jobEvents.close();
      jobEvents = null;
    }
  };
  jobEvents.onerror = () => {
    if (jobEvents && jobEvents.readyState === EventSource.CLOSED) state.textContent = 'stream lost';
  };
}

// Bench: the SVG plots `bench` saved, newest first.
async function showBench(chosen) {
  const plots = await getJson('/dashboard/api/bench');
  const list = document.getElementById('bench-list');
  const image = document.getElementById('bench-plot');
  document.getElementById('bench-empty').hidden = plots.length > 0;
  const shown = chosen || (plots[0] && plots[0].name);
  list.replaceChildren(...plots.map((plot) => {
    const item = el('li');
    const link = el('a', plot.name + ' (' + new Date(plot.modified * 1000).toLocaleString() + ')');
    link.href = '#bench/' + encodeURIComponent(plot.name);
    link.dataset.plot = plot.name;
    if (plot.name === shown) link.classList.add('selected');
    item.appendChild(link);
    return item;
  }));
  image.hidden = !shown;
  const source = shown ? '/dashboard/bench/' + encodeURIComponent(shown) : '';
  if (shown && image.getAttribute('src') !== source) image.src = source;
}

// Stats: CPU and memory of every member, a small chart each, sampled every 2 s.
function chart(values, max, className, label) {
  const width = 220, height = 60;
  const box = el('div');
  box.appendChild(el('div', label, 'chart-label'));
  const svg = svgEl('svg', {width, height, viewBox: '0 0 ' + width + ' ' + height});
  svg.appendChild(svgEl('rect', {x: 0, y: 0, width, height, class: 'chart-frame'}));
  // The newest sample on the right edge, one step per sample to the left.
  const step = width / 59;
  const points = values.map((v, i) => (width - (values.length - 1 - i) * step).toFixed(1) + ',' +
                                      (height - 2 - (v / max) * (height - 4)).toFixed(1));
  svg.appendChild(svgEl('polyline', {points: points.join(' '), class: className}));
  box.appendChild(svg);
  return box;
}

function renderStats(reply) {
  const charts = document.getElementById('stats-charts');
  const boxes = [];
  for (const m of reply.members) {
    const box = el('div', null, 'member-chart');
    box.dataset.member = m.hostname;
    box.appendChild(el('h3', m.hostname));
    if (m.error) {
      box.appendChild(el('p', m.error, 'error'));
      boxes.push(box);
      continue;
    }
    const history = statsHistory[m.hostname] = (statsHistory[m.hostname] || []).concat([m]).slice(-60);
    const cpu = history.map((s) => s.cpu_percent);
    const memory = history.map((s) => s.memory_bytes / 1048576);
    // Scaled to what was seen (a limit of many GiB would flatten the line), the limit in the label.
    const limit = m.memory_limit_bytes ? ' of ' + (m.memory_limit_bytes / 1048576).toFixed(0) + ' MiB' : '';
    box.appendChild(chart(cpu, Math.max(10, ...cpu) * 1.2, 'chart-line-cpu', 'CPU ' + m.cpu_percent.toFixed(1) + ' %'));
    box.appendChild(chart(memory, Math.max(1, ...memory) * 1.2, 'chart-line-memory',
                          'memory ' + memory[memory.length - 1].toFixed(1) + ' MiB' + limit));
    boxes.push(box);
  }
  charts.replaceChildren(...boxes);
}

// chosen: the cluster named in the fragment (#stats/NAME), else the one picked, else the first.
async function showStats(chosen) {
  const select = document.getElementById('stats-cluster');
  if (!select.options.length) {
    const clusters = await getJson('/dashboard/api/clusters');
    select.replaceChildren(...clusters.map((c) => el('option', c.name)));
    select.onchange = () => { location.hash = '#stats/' + encodeURIComponent(select.value); };
  }
  if (chosen && chosen !== statsCluster) select.value = chosen;
  statsCluster = chosen || select.value;
  if (!statsCluster) {
    document.getElementById('stats-note').textContent = 'no cluster';
    return;
  }
  const reply = await getJson('/dashboard/api/stats/' + encodeURIComponent(statsCluster));
  document.getElementById('stats-note').textContent = 'sampled ' + new Date().toLocaleTimeString();
  renderStats(reply);
}

// The view named by the fragment: #clusters, #jobs, #jobs/ID, #bench, #bench/FILE, #stats, #stats/NAME.
function route() {
  if (timer) clearTimeout(timer);
  timer = null;
  ++generation;
  const [name, detail] = (location.hash.slice(1) || 'clusters').split('/');
  const view = views.includes(name) ? name : 'clusters';
  for (const v of views) {
    document.getElementById('view-' + v).classList.toggle('shown', v === view);
    document.getElementById('nav-' + v).classList.toggle('active', v === view);
  }
  if (jobEvents && !(view === 'jobs' && detail === document.getElementById('job-id').textContent)) {
    jobEvents.close();
    jobEvents = null;
  }
  if (view === 'clusters') poll(showClusters, 5000);
  if (view === 'jobs') {
    if (detail && !jobEvents) followJob(decodeURIComponent(detail));
    poll(() => showJobs(detail), 2000);
  }
  if (view === 'bench') poll(() => showBench(detail ? decodeURIComponent(detail) : ''), 10000);
  if (view === 'stats') poll(() => showStats(detail ? decodeURIComponent(detail) : ''), 2000);
}

window.addEventListener('hashchange', route);
document.addEventListener('DOMContentLoaded', route);
)PPCS";

}  // namespace ppcs::api
