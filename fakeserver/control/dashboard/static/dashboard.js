"use strict";
// The dashboard's script: reads /_fakeserver/ui/api/..., acts through the control API, and
// asks the server every half second whether anything changed (one tiny request; the views
// are fetched again only when the answer is new).

const POLL_MS = 500;
const TOKEN_KEY = "fakeserver-control-token";
const base = location.pathname.replace(/\/ui\/?$/, "");
// Opened through a namespace prefix (/_ns/NAME/_fakeserver/ui), it starts on that namespace.
const prefixed = location.pathname.match(/^\/_ns\/([^/]+)\//);
const $ = (id) => document.getElementById(id);

const state = {
  token: readToken(),
  namespace: prefixed ? decodeURIComponent(prefixed[1]) : "default",
  version: null,
  cursor: null,
  previous: [],
  next: null,
  detail: null,
  entry: null,
  operations: null,
};

function readToken() {
  const params = new URLSearchParams(location.search);
  const given = params.get("token");
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

// HTTP ------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, { method = "GET", body, query } = {}) {
  const headers = {};
  if (state.token) headers["X-Fakeserver-Control-Token"] = state.token;
  const init = { method, headers, cache: "no-store" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json"; // the control API refuses anything else
    if (body !== undefined) init.body = JSON.stringify(body);
  }
  const search = query ? "?" + new URLSearchParams(query).toString() : "";
  const response = await fetch(base + path + search, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text };
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function withNamespace(extra = {}) {
  const query = { namespace: state.namespace };
  for (const [name, value] of Object.entries(extra)) if (value !== "" && value != null) query[name] = value;
  return query;
}

// The newest answer wins: a slow, older request never overwrites a newer view.
const tickets = {};
async function latest(view, load) {
  const ticket = (tickets[view] = (tickets[view] || 0) + 1);
  const data = await load();
  return ticket === tickets[view] ? data : null;
}

// DOM -------------------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (name === "className") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function fill(tbody, rows, columns, emptyText) {
  tbody.replaceChildren(
    ...(rows.length ? rows : [el("tr", {}, el("td", { colspan: columns, className: "empty" }, emptyText))]),
  );
}

const number = (value) => Number(value).toLocaleString("en-US");
const shortId = (id) => (id ? id.slice(0, 8) : "");
const when = (iso) => (iso ? iso.replace("T", " ").replace(/(\.\d{3})\d*/, "$1").replace(/Z$|\+00:00$/, "") : "");

function statusCell(status, note) {
  const kind = status == null ? "none" : String(status)[0];
  return el("td", { className: `num status-${kind}` }, status == null ? "—" : status, el("div", { className: "subtle" }, note));
}

function say(text, isError = false) {
  const box = $("message");
  box.replaceChildren(text);
  box.className = isError ? "message error" : "message";
  box.hidden = false;
}

function sayError(error) {
  const body = error.body || {};
  const problems = Array.isArray(body.problems) && body.problems.length ? body.problems : null;
  const lines = problems ? ["The fixture was not loaded:", ...problems] : [error.message];
  say(lines.join("\n"), true);
}

// Views -----------------------------------------------------------------------------------

async function loadOverview() {
  const data = await latest("overview", () => api("/ui/api/overview", { query: withNamespace() }));
  if (!data) return;
  const select = $("namespace");
  select.replaceChildren(...data.namespaces.map((name) => el("option", { value: name }, name)));
  select.value = data.namespace;
  const profile = $("profile");
  profile.replaceChildren(...data.profiles.map((name) => el("option", { value: name }, name)));
  profile.value = data.profile;
  $("overview-name").textContent = data.namespace;
  const c = data.counts;
  const counts = [
    ["Conversations", c.conversations], ["Listed", c.listed], ["Hidden", c.hidden],
    ["Running", c.running], ["Journal", c.journal], ["Fault rules", c.faults],
  ];
  $("counts").replaceChildren(...counts.map(([name, value]) => el("div", {}, el("dt", {}, name), el("dd", {}, number(value)))));
  $("fixtures").textContent = data.fixtures.join(", ");
  fill($("projects").tBodies[0], data.projects.map((p) => el("tr", {}, el("td", {}, p.id), el("td", {}, p.name))), 2, "none");
  fill($("users").tBodies[0], data.users.map((u) => el("tr", {},
    el("td", {}, u.id),
    el("td", {}, u.name ? `${u.name} ` : "", el("span", { className: "subtle" }, u.email)),
    el("td", {}, u.projects.join(", "), u.current_project != null ? el("span", { className: "subtle" }, ` (current ${u.current_project})`) : ""),
    el("td", {}, u.keys.length ? u.keys.map((k) => el("div", {},
      el("code", {}, k.key), " ", k.scopes.join(" "), k.projects ? el("span", { className: "subtle" }, ` projects ${k.projects.join(", ")}`) : "")) : el("span", { className: "subtle" }, "no keys")),
  )), 4, "none");
  if (!state.operations) {
    state.operations = data.operations;
    $("operations").replaceChildren(...data.operations.map((name) => el("option", { value: name })));
    $("operation-filter").append(...data.operations.map((name) => el("option", { value: name }, name)));
  }
}

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

async function loadConversations() {
  const filter = formValues($("conversation-filter"));
  const query = withNamespace({ ...filter, cursor: state.cursor });
  const data = await latest("conversations", () => api("/ui/api/conversations", { query }));
  if (!data) return;
  state.next = data.next;
  $("conversation-count").textContent = `(${number(data.count)})`;
  const rows = data.conversations.map((c) => el("tr", { className: c.id === state.detail ? "selected" : null },
    el("td", {},
      el("button", { type: "button", className: "link", dataset: { id: c.id }, onclick: () => openDetail(c.id) }, c.title || `(untitled ${shortId(c.id)})`),
      c.hidden ? [" ", el("span", { className: "badge hidden-row" }, c.hidden)] : null),
    el("td", {}, c.status),
    el("td", {}, c.project),
    el("td", {}, c.user),
    el("td", { className: "num" }, c.messages),
    el("td", { className: "num" }, c.queue),
    el("td", {}, c.run ? el("span", { className: "badge running" }, c.run) : "—"),
    el("td", { className: "mono" }, when(c.updated_at)),
  ));
  fill($("conversations").tBodies[0], rows, 8, "No conversation matches.");
  $("page-info").textContent = data.conversations.length
    ? `page ${state.previous.length + 1}: ${data.conversations.length} of ${number(data.count)}`
    : "";
  $("first-page").disabled = $("previous-page").disabled = state.previous.length === 0;
  $("next-page").disabled = !data.next;
}

async function openDetail(id) {
  state.detail = id;
  await loadDetail();
  await loadConversations();
  $("detail").focus();
}

async function loadDetail() {
  if (!state.detail) {
    $("detail").hidden = true;
    return;
  }
  let data;
  try {
    data = await latest("detail", () => api(`/ui/api/conversations/${encodeURIComponent(state.detail)}`, { query: withNamespace() }));
  } catch (error) {
    if (error.status !== 404) throw error;
    state.detail = null; // gone with a reset or another fixture
    $("detail").hidden = true;
    return;
  }
  if (!data) return;
  const row = data.row;
  const conversation = data.conversation;
  $("detail-title").textContent = row.title || "(untitled)";
  $("detail-meta").textContent = [
    row.id, `status ${row.status}`, `project ${row.project}`, `user ${row.user}`,
    conversation.type, row.hidden ? `hidden: ${row.hidden}` : "listed", `updated ${when(row.updated_at)}`,
  ].join(" · ");
  const run = data.run;
  $("detail-run").textContent = run
    ? `Run: running, ${run.frames} frames (${run.turn_frames} in this turn)${run.closed ? ", closing" : ""}`
    : "Run: none running";
  const kinds = data.frame_kinds || [];
  $("detail-frames").replaceChildren(...(kinds.length
    ? ["Frames by kind: ", ...kinds.map(([kind, count]) =>
        el("span", { className: "badge frame-kind", title: `${count} ${kind} frame(s)` }, `${kind} ${count}`))]
    : ["Frames by kind: no run seen since the fixture loaded"]));
  const queue = conversation.queue || [];
  $("queue-count").textContent = `(${queue.length})`;
  $("detail-queue").replaceChildren(...(queue.length
    ? queue.map((q) => el("li", {}, q.content, " ", el("span", { className: "subtle mono" }, `${shortId(q.id)} · ${when(q.created_at)}`)))
    : [el("li", { className: "subtle" }, "empty")]));
  const messages = conversation.messages || [];
  $("message-count").textContent = `(${messages.length})`;
  $("detail-messages").replaceChildren(...(messages.length
    ? messages.map((m) => el("li", {}, el("span", { className: "badge" }, m.type || "?"), " ",
        typeof m.content === "string" ? m.content : JSON.stringify(m.content ?? m)))
    : [el("li", { className: "subtle" }, "none")]));
  $("detail").hidden = false;
}

async function loadActivity() {
  const data = await latest("activity", () => api("/ui/api/activity", { query: withNamespace() }));
  if (!data) return;
  fill($("runs").tBodies[0], data.runs.map((r) => el("tr", {},
    el("td", {}, el("button", { type: "button", className: "link", onclick: () => openDetail(r.conversation) }, r.title || shortId(r.conversation))),
    el("td", {}, r.status),
    el("td", { className: "num" }, r.frames),
    el("td", { className: "num" }, r.queue),
  )), 4, "No run in progress.");
  fill($("streams").tBodies[0], data.streams.map((s) => el("tr", {},
    el("td", {}, s.sequence),
    el("td", { className: "mono" }, `${s.method} ${s.path}`),
    el("td", {}, s.conversation ? el("button", { type: "button", className: "link", onclick: () => openDetail(s.conversation) }, shortId(s.conversation)) : "—"),
    el("td", { className: "mono" }, when(s.started_at).slice(11)),
  )), 4, "No stream open.");
}

async function loadJournal() {
  const query = withNamespace(formValues($("journal-filter")));
  const data = await latest("journal", () => api("/ui/api/journal", { query }));
  if (!data) return;
  $("journal-count").textContent = `(${number(data.count)}${data.count > data.entries.length ? `, newest ${data.entries.length} shown` : ""})`;
  fill($("journal").tBodies[0], data.entries.map((e) => el("tr", { className: e.sequence === state.entry ? "selected" : null },
    el("td", {}, el("button", { type: "button", className: "link", onclick: () => openEntry(e.sequence), "aria-label": `Request ${e.sequence}: show request and response` }, e.sequence)),
    el("td", {},
      el("span", { className: "mono" }, `${e.method} ${e.path}${e.query ? "?" + e.query : ""}`),
      e.diagnosis ? el("p", { className: "diagnosis" }, `${e.diagnosis.reason}: ${e.diagnosis.detail}`) : null),
    el("td", {}, e.operation_id || (e.matched ? "—" : el("span", { className: "badge" }, "unmatched")), e.fault ? [" ", el("span", { className: "badge hidden-row" }, "fault")] : null),
    statusCell(e.status, e.complete ? `${e.duration_ms.toFixed(1)} ms` : "open"),
  )), 4, "No request recorded.");
}

async function openEntry(sequence) {
  state.entry = sequence;
  await loadEntry();
  await loadJournal();
  $("entry").focus();
}

function headerLines(headers) {
  return Object.entries(headers || {}).map(([name, value]) => `${name}: ${value}`).join("\n");
}

async function loadEntry() {
  if (state.entry == null) {
    $("entry").hidden = true;
    return;
  }
  let e;
  try {
    e = await latest("entry", () => api(`/ui/api/journal/${state.entry}`));
  } catch (error) {
    if (error.status !== 404) throw error;
    state.entry = null; // cleared or pushed out of the journal
    $("entry").hidden = true;
    return;
  }
  if (!e) return;
  $("entry-title").textContent = `#${e.sequence} ${e.method} ${e.path} → ${e.status ?? "no response"}`;
  const diagnosis = $("entry-diagnosis");
  diagnosis.hidden = !e.diagnosis;
  diagnosis.textContent = e.diagnosis
    ? `Unmatched (${e.diagnosis.reason}): ${e.diagnosis.detail}${e.diagnosis.nearest_operation ? ` (nearest operation: ${e.diagnosis.nearest_operation}, ${e.diagnosis.nearest_path})` : ""}`
    : "";
  const target = `${e.method} ${e.path}${e.query ? "?" + e.query : ""}`;
  $("entry-request").textContent = [target, headerLines(e.request_headers), "", e.request_body].join("\n");
  const notes = [`operation ${e.operation_id || "none"}`, `profile ${e.profile}`, `${e.duration_ms} ms`];
  if (e.fault) notes.push(`fault ${JSON.stringify(e.fault)}`);
  if (e.truncated.length) notes.push(`truncated: ${e.truncated.join(", ")}`);
  $("entry-response").textContent = [`${e.status ?? "no response"} (${notes.join(", ")})`, headerLines(e.response_headers), "", e.complete ? e.response_body : "(still being sent)"].join("\n");
  $("entry").hidden = false;
}

function describeRule(rule) {
  const match = [rule.method, rule.operation_id, rule.path].filter(Boolean).join(" ") || "every request";
  const a = rule.action;
  const action = [
    a.status != null ? `answer ${a.status}` : null,
    a.latency_ms ? `delay ${a.latency_ms} ms` : null,
    a.drop ? "drop the connection" : null,
  ].filter(Boolean).join(", ") || JSON.stringify(a);
  const left = rule.remaining == null ? "every time" : `${rule.remaining} left`;
  const where = rule.namespace == null ? ", all namespaces" : "";
  return `${match}: ${action} (${left}, fired ${rule.fired}${where})`;
}

async function loadFaults() {
  const data = await latest("faults", () => api("/faults"));
  if (!data) return;
  // A rule without a namespace applies to every namespace, this one included.
  const rules = data.rules.filter((rule) => rule.namespace == null || rule.namespace === state.namespace);
  $("fault-list").replaceChildren(...(rules.length
    ? rules.map((rule) => el("li", {}, el("span", {}, describeRule(rule)),
        el("button", { type: "button", "aria-label": `Remove fault rule: ${describeRule(rule)}`, onclick: () => removeFault(rule.id) }, "Remove")))
    : [el("li", { className: "subtle" }, "No fault rule: every request is answered normally.")]));
}

const views = [loadOverview, loadConversations, loadDetail, loadActivity, loadJournal, loadEntry, loadFaults];

async function refresh() {
  const results = await Promise.allSettled(views.map((view) => view()));
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
}

// Actions ---------------------------------------------------------------------------------

async function act(work, done) {
  try {
    await work();
    say(done);
  } catch (error) {
    sayError(error);
  }
  await refresh().catch(showOffline);
}

function resetPaging() {
  state.cursor = null;
  state.previous = [];
}

async function removeFault(id) {
  await act(() => api(`/faults/${encodeURIComponent(id)}`, { method: "DELETE" }), "Fault rule removed.");
}

function optionalNumber(raw, name, rule, into = rule) {
  if (raw === "" || raw == null) return;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new ApiError(400, { detail: `${name} must be a number.` });
  into[name] = value;
}

function faultRule(form) {
  const values = formValues(form);
  const rule = { namespace: state.namespace };
  const action = {};
  for (const name of ["operation_id", "method", "path"]) if (values[name]) rule[name] = values[name];
  optionalNumber(values.times, "times", rule);
  optionalNumber(values.status, "status", rule, action);
  optionalNumber(values.latency_ms, "latency_ms", rule, action);
  if (values.drop) action.drop = true;
  if (values.body) {
    try {
      action.body = JSON.parse(values.body);
    } catch {
      throw new ApiError(400, { detail: "The body must be JSON (or left empty)." });
    }
  }
  rule.action = action;
  return rule;
}

function bind() {
  $("namespace").addEventListener("change", (event) => {
    state.namespace = event.target.value;
    state.detail = state.entry = null;
    resetPaging();
    refresh().catch(showOffline);
  });
  $("profile").addEventListener("change", (event) =>
    act(() => api("/profile", { method: "PUT", body: { profile: event.target.value } }), `Default profile: ${event.target.value}.`));
  $("reset").addEventListener("click", () =>
    act(() => api("/reset", { method: "POST", body: { namespace: state.namespace } }), `Namespace ${state.namespace} reset to its fixtures.`));
  $("clear-journal").addEventListener("click", () =>
    act(() => api("/journal", { method: "DELETE", query: withNamespace() }), "Journal cleared."));
  $("upload").addEventListener("click", () => {
    const file = $("fixture-file").files[0];
    if (!file) {
      say("Choose a YAML or JSON fixture file first.", true);
      return;
    }
    act(async () => {
      const body = { fixture_text: await file.text(), filename: file.name, namespace: state.namespace, replace: $("fixture-replace").checked };
      const loaded = await api("/fixtures", { method: "POST", body });
      say(`Loaded ${file.name}: ${loaded.conversations} conversations.`);
    }, `Loaded ${file.name}.`);
  });
  $("fault-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(() => api("/faults", { method: "POST", body: faultRule(event.target) }), "Fault rule added.");
  });
  for (const form of [$("conversation-filter"), $("journal-filter")]) {
    const apply = () => {
      if (form.id === "conversation-filter") resetPaging();
      (form.id === "conversation-filter" ? loadConversations() : loadJournal()).catch(showOffline);
    };
    let timer = null;
    form.addEventListener("submit", (event) => { event.preventDefault(); apply(); });
    form.addEventListener("change", apply);
    form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(apply, 250); });
  }
  $("next-page").addEventListener("click", () => {
    if (!state.next) return;
    state.previous.push(state.cursor);
    state.cursor = state.next;
    loadConversations().catch(showOffline);
  });
  $("previous-page").addEventListener("click", () => {
    state.cursor = state.previous.pop() ?? null;
    loadConversations().catch(showOffline);
  });
  $("first-page").addEventListener("click", () => {
    resetPaging();
    loadConversations().catch(showOffline);
  });
  $("close-detail").addEventListener("click", () => {
    state.detail = null;
    $("detail").hidden = true;
    loadConversations().catch(showOffline);
  });
  $("close-entry").addEventListener("click", () => {
    state.entry = null;
    $("entry").hidden = true;
    loadJournal().catch(showOffline);
  });
}

// Live ------------------------------------------------------------------------------------

function showOffline(error) {
  const live = $("live");
  live.className = "live off";
  live.textContent = error instanceof ApiError ? `error: ${error.message}` : "server unreachable, retrying";
}

async function poll() {
  try {
    const { version } = await api("/ui/api/version");
    if (version !== state.version) {
      await refresh();
      state.version = version;
    }
    const live = $("live");
    live.className = "live on";
    live.textContent = "live";
  } catch (error) {
    showOffline(error);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

bind();
poll();
