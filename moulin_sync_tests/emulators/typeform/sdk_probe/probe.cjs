// Typeform's official JS SDK pointed at the emulator (apiBaseUrl): each option of
// responses.list, its automatic paging, forms.get, and the errors the SDK raises.
// Prints one JSON object: case name -> what the SDK returned (or its error).
// Usage: node probe.cjs <base url> <token> <cases JSON file>
const fs = require("fs");
const { createClient } = require("@typeform/api-client");

const [baseUrl, token, casesFile] = process.argv.slice(2);
const client = createClient({ token, apiBaseUrl: baseUrl });
const intruder = createClient({ token: "not-the-token", apiBaseUrl: baseUrl });

function summary(list) {
  return {
    total_items: list.total_items,
    page_count: list.page_count,
    tokens: list.items.map((item) => item.token),
    answers: list.items.map((item) => item.answers.map((a) => a.field.ref)),
  };
}

async function run(kase) {
  const started = Date.now();
  try {
    let result;
    if (kase.call === "forms.get") {
      result = await client.forms.get(kase.args);
    } else {
      const sdk = kase.call === "responses.list.intruder" ? intruder : client;
      result = summary(await sdk.responses.list(kase.args));
    }
    return { ok: true, result, ms: Date.now() - started };
  } catch (error) {
    const { code, message, details } = error;
    return { ok: false, error: { code, message, details }, ms: Date.now() - started };
  }
}

(async () => {
  const cases = JSON.parse(fs.readFileSync(casesFile, "utf8"));
  const results = {};
  for (const [name, kase] of Object.entries(cases)) {
    results[name] = await run(kase);
  }
  process.stdout.write(JSON.stringify(results));
})();
