// HubSpot's official Node SDK against the emulator: node probe.mjs BASE_URL TOKEN
// Prints one JSON line: {"checks": [{"name", "ok", "detail"}]}; exits 1 if a check failed.
import { Client } from "@hubspot/api-client";

const [basePath, accessToken] = process.argv.slice(2);
const hubspot = new Client({ accessToken, basePath, numberOfApiCallRetries: 0 });
const checks = [];
const spec = (id) => [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: id }];
const run = Date.now();

async function check(name, body) {
  try {
    const detail = await body();
    checks.push({ name, ok: true, detail: detail ?? null });
  } catch (error) {
    const detail = error.body ?? error.message ?? String(error);
    checks.push({ name, ok: false, detail: JSON.stringify(detail).slice(0, 500) });
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

let company, contact, deal;
await check("create a company", async () => {
  company = await hubspot.crm.companies.basicApi.create({ properties: { name: "Moulin SA" } });
  expect(company.id && company.properties.name === "Moulin SA", "no company answered");
  return company.id;
});
await check("create a contact linked to the company", async () => {
  contact = await hubspot.crm.contacts.basicApi.create({
    properties: { email: `ana.${run}@example.org`, firstname: "Ana" },
    associations: [{ to: { id: company.id }, types: spec(279) }],
  });
  expect(contact.createdAt instanceof Date, "createdAt is not a date");
  return contact.id;
});
await check("batch upsert contacts by email", async () => {
  const answer = await hubspot.crm.contacts.batchApi.upsert({
    inputs: [
      { id: `ana.${run}@example.org`, idProperty: "email", properties: { lastname: "Moulin" } },
      { id: `bob.${run}@example.org`, idProperty: "email", properties: { firstname: "Bob" } },
    ],
  });
  const created = answer.results.map((r) => r._new ?? r["new"]).sort();
  expect(answer.status === "COMPLETE" && answer.results.length === 2, "not 2 results");
  expect(JSON.stringify(created) === "[false,true]", `new flags ${created}`);
  return created;
});
await check("search contacts by email (filter groups)", async () => {
  const found = await hubspot.crm.contacts.searchApi.doSearch({
    filterGroups: [{ filters: [{ propertyName: "email", operator: "EQ", value: `ana.${run}@example.org` }] }],
    properties: ["email", "lastname"],
    limit: 10,
  });
  expect(found.total === 1 && found.results[0].properties.lastname === "Moulin", "not found");
  return found.total;
});
await check("create a deal linked to the contact and the company", async () => {
  deal = await hubspot.crm.deals.basicApi.create({
    properties: { dealname: "Flour", dealstage: "appointmentscheduled", amount: "1200.50" },
    associations: [
      { to: { id: contact.id }, types: spec(3) },
      { to: { id: company.id }, types: spec(5) },
    ],
  });
  return deal.id;
});
await check("read associations (v4 batch)", async () => {
  const answer = await hubspot.crm.associations.v4.batchApi.getPage("deals", "contacts", {
    inputs: [{ id: deal.id }],
  });
  const to = answer.results[0].to.map((t) => String(t.toObjectId));
  expect(to.includes(contact.id), `deal's contacts: ${to}`);
  return to;
});
await check("create a ticket in the support pipeline, linked to the contact", async () => {
  const ticket = await hubspot.crm.tickets.basicApi.create({
    properties: { subject: "Late delivery", hs_pipeline: "0", hs_pipeline_stage: "1", hs_ticket_priority: "HIGH" },
    associations: [{ to: { id: contact.id }, types: spec(16) }],
  });
  return ticket.id;
});
await check("list properties and pipelines", async () => {
  const props = await hubspot.crm.properties.coreApi.getAll("contacts");
  const pipelines = await hubspot.crm.pipelines.pipelinesApi.getAll("deals");
  expect(props.results.some((p) => p.name === "email"), "no email property");
  expect(pipelines.results.length >= 1, "no deal pipeline");
  return { properties: props.results.length, pipelines: pipelines.results.length };
});
await check("a duplicate email answers 409", async () => {
  try {
    await hubspot.crm.contacts.basicApi.create({ properties: { email: `ana.${run}@example.org` } });
  } catch (error) {
    expect(error.code === 409, `status ${error.code}`);
    return error.code;
  }
  throw new Error("the duplicate was created");
});

console.log(JSON.stringify({ checks }));
process.exit(checks.every((c) => c.ok) ? 0 : 1);
