// Lists, creates, updates, deletes and restores tickets on the Freshdesk emulator with the
// npm `freshdesk-api` client, and prints what it saw as one JSON object.
// Usage: FRESHDESK_BASE_URL=http://127.0.0.1:PORT FRESHDESK_API_KEY=KEY node probe.js
"use strict";

const Freshdesk = require("freshdesk-api");

const client = new Freshdesk(process.env.FRESHDESK_BASE_URL, process.env.FRESHDESK_API_KEY);

// The client takes node-style callbacks (err, data, extra).
function call(method, ...args) {
  return new Promise((resolve) => {
    client[method](...args, (err, data, extra) => resolve({ err, data, extra }));
  });
}

function failure(err) {
  return err ? { name: err.name, status: err.status, message: err.message } : null;
}

async function main() {
  const seen = {};
  const created = await call("createTicket", {
    name: "Claire Probe", email: "claire.probe@example.fr", subject: "Sonde Node",
    description: "Créé par freshdesk-api", status: 2, priority: 1,
  });
  if (created.err) throw created.err;
  const id = created.data.id;
  seen.created = { id, requester_id: created.data.requester_id, status: created.data.status };
  await call("createTicket", { email: "second.probe@example.fr", subject: "Deux", description: "x" });

  const page = await call("listAllTickets", { per_page: 1, order_type: "asc" });
  seen.firstPage = { ids: page.data.map((t) => t.id), pageIsLast: page.extra.pageIsLast };
  const all = await call("listAllTickets", { updated_since: "2000-01-01T00:00:00Z" });
  seen.listed = all.data.map((t) => t.id).sort();

  const updated = await call("updateTicket", id, { status: 4, priority: 3 });
  seen.updated = { status: updated.data.status, priority: updated.data.priority, err: failure(updated.err) };
  const viewed = await call("getTicket", id);
  seen.viewed = { status: viewed.data.status, subject: viewed.data.subject };

  const deleted = await call("deleteTicket", id);
  seen.deleted = { data: deleted.data, err: failure(deleted.err) };
  const trash = await call("listAllTickets", { filter: "deleted" });
  seen.trash = trash.data.map((t) => t.id);
  const restored = await call("restoreTicket", id);
  seen.restored = { err: failure(restored.err) };
  const afterRestore = await call("listAllTickets", {});
  seen.afterRestore = afterRestore.data.map((t) => t.id).sort();

  const missing = await call("getTicket", 999999);
  seen.missing = failure(missing.err);
  const invalid = await call("createTicket", { subject: "Sans demandeur", description: "x" });
  seen.invalid = { ...failure(invalid.err), errors: invalid.err && invalid.err.data.errors };
  const me = await call("currentAgent");
  seen.me = { id: me.data.id, err: failure(me.err) };
  process.stdout.write(JSON.stringify(seen));
}

main().catch((err) => {
  process.stderr.write(String((err && err.stack) || err));
  process.exit(1);
});
