/**
 * The console's stylesheet and script, served by the ingress from these strings: nothing is
 * fetched from a CDN, and the bundled build needs no asset files beside it.
 */
export const CONSOLE_CSS = `
:root { font-family: system-ui, sans-serif; color: #1d2430; background: #f6f7f9; }
header { background: #1d2430; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1rem; align-items: center; }
header a, header button { color: #fff; }
main { max-width: 72rem; margin: 1rem auto; padding: 0 1rem; }
table { border-collapse: collapse; width: 100%; background: #fff; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e3e6ea; font-size: .9rem; vertical-align: top; }
tr.failure td { background: #fff3f3; }
.card { background: #fff; padding: 1rem; border-radius: 6px; margin: 1rem 0; box-shadow: 0 1px 2px #0001; }
label { display: block; margin: .6rem 0 .2rem; font-weight: 600; }
input { padding: .35rem; min-width: 20rem; }
button { padding: .35rem .8rem; cursor: pointer; }
.inline { display: flex; gap: .5rem; align-items: center; }
.actions { display: flex; gap: .5rem; margin: 1rem 0; }
.copyable { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.copyable input { flex: 1; font-family: monospace; }
.error { color: #b00020; }
.notice { background: #e8f5e9; padding: .5rem 1rem; border-radius: 4px; }
.chart svg { width: 100%; height: 120px; background: #fff; }
.chart rect.writes { fill: #3f6fd8; } .chart rect.failures { fill: #d83f3f; }
b.writes { color: #3f6fd8; } b.failures { color: #d83f3f; }
.filters a { margin-right: .8rem; } .filters a.active { font-weight: 700; }
progress { width: 20rem; }
`;

export const CONSOLE_JS = `
document.addEventListener('click', async (event) => {
  const button = event.target.closest('[data-copy]');
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  await navigator.clipboard.writeText(field.value);
  button.textContent = 'Copied';
});
// Live activity: the chart, progress and log are fetched again every 15 s (forms are left alone).
const live = document.getElementById('activity');
if (live) setInterval(async () => {
  const response = await fetch(location.href, { headers: { accept: 'text/html' } });
  if (!response.ok) return;
  const next = new DOMParser().parseFromString(await response.text(), 'text/html');
  for (const id of ['activity', 'log']) {
    const fresh = next.getElementById(id);
    const current = document.getElementById(id);
    if (fresh && current) current.replaceWith(fresh);
  }
}, 15000);
// Users and groups, read from the admin API with the operator's session cookie (GET only).
document.addEventListener('submit', async (event) => {
  const form = event.target.closest('[data-browse]');
  if (!form) return;
  event.preventDefault();
  const type = form.elements.type.value;
  const attribute = type === 'users' ? 'userName' : 'displayName';
  const text = form.elements.q.value.replaceAll('\\\\', '\\\\\\\\').replaceAll('"', '\\\\"');
  const query = new URLSearchParams({ count: '50', sortBy: attribute });
  if (text) query.set('filter', attribute + ' sw "' + text + '"');
  const response = await fetch('/admin/tenants/' + form.dataset.browse + '/' + type + '?' + query);
  const body = await response.json();
  const rows = form.parentElement.querySelector('table.resources tbody');
  rows.replaceChildren(...(body.Resources || []).map((resource) => {
    const row = document.createElement('tr');
    for (const value of [resource[attribute], resource.id, resource.active === false ? 'inactive' : '']) {
      const cell = document.createElement('td');
      cell.textContent = value ?? '';
      row.append(cell);
    }
    return row;
  }));
  form.dataset.total = String(body.totalResults ?? 0);
});
`;
