// The admin console in a real browser (Debian's Chromium driven by playwright-core)
// against the local runner with its seeded data: the day's work of an admin, end to end
// through the real API. Each screen is photographed into $ARTIFACTS.
//
//   CONSOLE_URL=http://127.0.0.1:3000 CHROMIUM=/usr/bin/chromium ARTIFACTS=../artifacts/screenshots \
//     node --test e2e/

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";

const BASE = process.env.CONSOLE_URL ?? "http://127.0.0.1:3000";
const ARTIFACTS = process.env.ARTIFACTS ?? "../artifacts/screenshots";
const ADMIN = { email: process.env.ADMIN_EMAIL ?? "admin@fitkart.local", password: process.env.ADMIN_PASSWORD ?? "local-admin-password" };
const DEMO = "demo@fitkart.local";
const RILEY = "riley@fitkart.local";
const SAM = { email: "sam@fitkart.local", password: "local-friend-password" };
const OPS = { email: "ops@fitkart.local", password: "local-ops-password" };

/** The code the runner's stand-in for an admin's authenticator app shows now. */
async function codeOf(email) {
  const res = await fetch(`${BASE}/_local/totp/${email}`);
  assert.equal(res.status, 200, `an authenticator for ${email}`);
  return (await res.json()).code;
}

/** RFC 6238 (SHA-1, 6 digits, 30 s) for a base32 secret: the phone of a new admin. */
function totp(secret, at = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, "0");
}

/** The API as an admin outside the browser (password, then the authenticator's code). */
async function adminToken(who) {
  const post = async (path, body, token) => {
    const res = await fetch(`${BASE}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  };
  const login = await post("/v1/auth/login", { email: who.email, password: who.password });
  const proven = await post("/v1/auth/mfa", { code: await codeOf(who.email) }, login.body.tokens.access_token);
  assert.equal(proven.status, 200, JSON.stringify(proven.body));
  return { token: proven.body.tokens.access_token, post: (path, body) => post(path, body, proven.body.tokens.access_token) };
}

/** Signs in through the console's two steps. */
async function signInAs(who) {
  try {
    await signInSteps(who);
  } catch (e) {
    await shot(`failed-sign-in-${who.email}`);
    throw e;
  }
}

async function signInSteps(who) {
  await page.getByRole("heading", { name: "FitKart Admin" }).waitFor();
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Code from your authenticator app").fill(await codeOf(who.email));
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

mkdirSync(ARTIFACTS, { recursive: true });
let browser;
let page;

const shot = (name) => page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
const number = (text) => Number(text.replace(/[^0-9-]/g, ""));

async function openUser(email) {
  await page.getByRole("link", { name: "Users" }).click();
  await page.getByLabel("Email or name starts with").fill(email);
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("button", { name: email, exact: true }).click();
  const available = page.getByTestId("available-coins");
  await available.waitFor();
  return number(await available.innerText());
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.setDefaultTimeout(15_000);
});

after(async () => {
  await browser?.close();
});

describe("the admin console", { concurrency: false }, () => {
  it("refuses a non-admin and signs the admin in with the keyboard alone", async () => {
    await page.goto(`${BASE}/admin/`);
    await page.getByLabel("Email").fill(DEMO);
    await page.getByLabel("Password").fill("local-demo-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "not an admin" }).waitFor();

    await page.getByLabel("Email").fill("");
    await page.getByLabel("Email").focus();
    await page.keyboard.type(ADMIN.email);
    await page.keyboard.press("Tab");
    await page.keyboard.type(ADMIN.password);
    await shot("01-sign-in");
    await page.keyboard.press("Enter");
    // The second factor: the code field has the focus.
    await page.getByRole("heading", { name: "Second factor" }).waitFor();
    await page.keyboard.type("000000");
    await page.keyboard.press("Enter");
    await page.getByRole("alert").filter({ hasText: "not right" }).waitFor();
    await page.getByLabel("Code from your authenticator app").fill("");
    await page.getByLabel("Code from your authenticator app").focus();
    await page.keyboard.type(await codeOf(ADMIN.email));
    await shot("01b-second-factor");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Review queue" }).waitFor();
    // Nothing but the refresh token is kept, and only for this tab.
    const stored = await page.evaluate(() => ({ local: localStorage.length, session: Object.keys(sessionStorage) }));
    assert.deepEqual(stored, { local: 0, session: ["fitkart.admin.refresh"] });
  });

  it("approving a held day worth more than one admin pays waits, and says why", async () => {
    const before = await openUser(RILEY);
    await page.getByRole("link", { name: "Review queue" }).click();
    const card = page.getByRole("article", { name: new RegExp(`Record of ${RILEY}`) });
    await card.getByText("60,000").first().waitFor();
    // Where the held day's steps came from: the watch and the phone, each with its count.
    await card.getByRole("list", { name: "Sources" }).getByText("com.garmin.android.apps.connectmobile (watch, automatic): 54,000 steps").waitFor();
    await card.locator("canvas").waitFor();
    await shot("02-review-queue");
    await card.getByLabel("Note to the user").fill("Race day confirmed with the organiser.");
    await card.getByRole("button", { name: "Approve and credit" }).click();
    const waits = card.getByRole("status").filter({ hasText: "Waiting for a second admin" });
    await waits.waitFor();
    assert.match(await waits.innerText(), /worth 20000 coins/);
    assert.equal(await openUser(RILEY), before, "nothing paid yet");
    // It waits under Approvals, saying why.
    await page.getByRole("link", { name: "Approvals" }).click();
    const request = page.getByRole("article", { name: /Held day/ });
    await request.getByText(/Waits because:/).waitFor();
    await shot("02b-held-day-waits");
  });

  it("moves an order through to shipped with a tracking number", async () => {
    await page.getByRole("link", { name: "Orders" }).click();
    await page.getByLabel("Status").selectOption("pending");
    await page.getByRole("button", { name: /^Order FK-/ }).first().click();
    // Only the workflow's next steps are offered, one at a time.
    await page.getByRole("button", { name: "Mark confirmed" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Mark shipped" }).count(), 0);
    await page.getByLabel("Status").selectOption("");
    await page.getByRole("button", { name: "Mark confirmed" }).click();
    // Confirmed orders go to (the runner's stand-in for) Shopify, which makes them
    // processing; the list shows it once the push is done.
    // processing once the push claimed it, with its Shopify id once Shopify answered.
    const orderButton = page.getByRole("button", { name: /^Order FK-/ });
    const inShopify = page.getByText(/^In Shopify as gid:\/\/shopify\/Order\//);
    for (let i = 0; i < 60; i++) {
      await page.getByLabel("Status").selectOption("delivered");
      const listed = page.waitForResponse((r) => r.url().includes("/v1/admin/orders?status=processing"));
      await page.getByLabel("Status").selectOption("processing");
      await listed;
      // The list can be drawn again between the count and the click (a CI run once
      // waited out the click's whole timeout here): a click that finds no button just
      // tries the next round; the wait after the loop is what must succeed.
      if ((await orderButton.count()) > 0) {
        const clicked = await orderButton.first().click({ timeout: 2000 }).then(() => true, () => false);
        if (clicked && (await inShopify.isVisible())) break;
      }
      await page.waitForTimeout(250);
    }
    await inShopify.waitFor();
    // Staff may still ship by hand here (for an order they shipped outside Shopify).
    await page.getByLabel("Tracking number").fill("1Z999AA10123456784");
    await page.getByLabel("Notes (staff only)").fill("Sent with DHL");
    await page.getByRole("button", { name: "Mark shipped" }).click();
    // It leaves the processing list; the shipped list has it, with its tracking number.
    await orderButton.first().waitFor({ state: "detached" });
    const shippedList = page.waitForResponse((r) => r.url().includes("/v1/admin/orders?status=shipped"));
    await page.getByLabel("Status").selectOption("shipped");
    await shippedList;
    assert.equal(await page.locator("tbody .badge").first().innerText(), "shipped");
    // Still open: the console keeps the order it was showing.
    await page.getByRole("button", { name: "Mark delivered" }).waitFor();
    assert.equal(await page.getByLabel("Tracking number").inputValue(), "1Z999AA10123456784");
    await shot("03-orders");
  });

  it("adjusts a user's coins after a confirm step", async () => {
    const before = await openUser(DEMO);
    // The console is English; each walker's own language is on their page.
    assert.equal(await page.getByTestId("locale").innerText(), "en");
    await page.getByLabel("Amount (negative for a penalty)").fill("250");
    await page.getByLabel(/^Reason/).fill("Winner of the November step challenge");
    await page.getByRole("button", { name: "Review adjustment" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Confirm the adjustment" });
    await confirm.getByText("Give 250 coins").waitFor();
    await shot("04-users-confirm");
    await confirm.getByRole("button", { name: "Confirm" }).click();
    await page.getByRole("status").filter({ hasText: "bonus of 250 coins" }).waitFor();
    const after = number(await page.getByTestId("available-coins").innerText());
    assert.equal(after, before + 250);
    await shot("05-users");
  });

  it("a large adjustment waits for the second admin, who approves it under Approvals", async () => {
    const before = await openUser(DEMO);
    await page.getByLabel("Amount (negative for a penalty)").fill("5000");
    await page.getByLabel(/^Reason/).fill("Charity walk prize");
    await page.getByRole("button", { name: "Review adjustment" }).click();
    await page.getByRole("alertdialog", { name: "Confirm the adjustment" }).getByRole("button", { name: "Confirm" }).click();
    await page.getByRole("status").filter({ hasText: "Waiting for a second admin" }).waitFor();
    assert.equal(number(await page.getByTestId("available-coins").innerText()), before, "nothing moved yet");
    // The requester sees it waiting and cannot approve it.
    await page.getByRole("link", { name: "Approvals" }).click();
    const mine = page.getByRole("article", { name: /Coin adjustment: demo@fitkart\.local/ });
    await mine.getByText("You asked for this").waitFor();
    assert.equal(await mine.getByRole("button", { name: "Approve and apply" }).count(), 0);

    // The second admin signs in and approves with a code from their phone.
    await page.getByRole("button", { name: "Sign out" }).click();
    await signInAs(OPS);
    await page.getByRole("link", { name: "Approvals" }).click();
    const card = page.getByRole("article", { name: /Coin adjustment: demo@fitkart\.local/ });
    await card.getByText("Charity walk prize").waitFor();
    await card.getByText("admin@fitkart.local").waitFor();
    await shot("06a-approvals");
    await card.getByLabel("Code from your authenticator app").fill(await codeOf(OPS.email));
    await card.getByRole("button", { name: "Approve and apply" }).click();
    await card.getByRole("status").filter({ hasText: "Approved" }).waitFor();
    assert.equal(await openUser(DEMO), before + 5000);

    await page.getByRole("button", { name: "Sign out" }).click();
    await signInAs(ADMIN);
  });

  it("sets up a new admin's authenticator at their first sign-in", async () => {
    // A walker becomes an admin the only way there is: one admin asks, the other approves.
    const email = `new-admin-${Date.now()}@fitkart.local`;
    const password = "a-new-admin-password";
    let res = await fetch(`${BASE}/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password, full_name: "New Admin" }),
    });
    assert.equal(res.status, 201);
    const id = (await res.json()).user.id;
    const admin = await adminToken(ADMIN);
    const asked = await fetch(`${BASE}/v1/admin/users/${id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({ role: "admin", reason: "Joins the support rota" }),
    });
    assert.equal(asked.status, 202);
    const request = await asked.json();
    const ops = await adminToken(OPS);
    const approved = await ops.post(`/v1/admin/change-requests/${request.id}/approve`, { code: await codeOf(OPS.email) });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Set up your authenticator" }).waitFor();
    await page.getByRole("img", { name: "QR code of your authenticator secret" }).waitFor();
    const secret = await page.getByTestId("totp-secret").innerText();
    await shot("01c-enrol");
    await page.getByLabel("Code from your authenticator app").fill(totp(secret));
    await page.getByRole("button", { name: "Confirm and sign in" }).click();
    const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
    await codes.first().waitFor();
    assert.equal(await codes.count(), 10);
    await page.getByRole("button", { name: "I saved them, continue" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await signInAs(ADMIN);
  });

  it("shows the API's validation message next to a setting", async () => {
    await page.getByRole("link", { name: "Settings" }).click();
    const goal = page.locator("#setting-daily_step_goal");
    await goal.fill("lots");
    await goal.press("Enter");
    const error = page.locator("#setting-daily_step_goal-error");
    await error.waitFor();
    assert.match(await error.innerText(), /must be an integer/);
    assert.equal(await goal.getAttribute("aria-invalid"), "true");
    await shot("06-settings-error");
    // The daily goal gates bonuses: a money setting, asked for with a reason.
    await page.getByLabel("Reason for changing daily_step_goal").fill("A lighter goal for winter");
    await goal.fill("9000");
    await goal.press("Enter");
    await page.getByRole("status").filter({ hasText: "Waiting for a second admin" }).waitFor();
  });

  it("acts on a walker's report under Reports: the alias is hidden and the action audited", async () => {
    // Two walkers through the public API: one chooses an offensive alias, the other reports it.
    const walker = async (email) => {
      const res = await fetch(`${BASE}/v1/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: "walk-more-please", full_name: "Console Walker" }),
      });
      assert.equal(res.status, 201);
      const body = await res.json();
      const call = async (method, path, json) => {
        const r = await fetch(`${BASE}${path}`, {
          method,
          headers: { "content-type": "application/json", authorization: `Bearer ${body.tokens.access_token}` },
          body: json ? JSON.stringify(json) : undefined,
        });
        return { status: r.status, body: await r.json().catch(() => null) };
      };
      return { id: body.user.id, call };
    };
    const stamp = Date.now();
    const troll = await walker(`troll-${stamp}@example.com`);
    const reporter = await walker(`reporter-${stamp}@example.com`);
    const alias = `Rude ${stamp % 100000}`;
    assert.equal((await troll.call("PATCH", "/v1/me/privacy", { alias })).status, 200);
    const filed = await reporter.call("POST", "/v1/reports", { target_type: "user", target_id: troll.id, reason: "offensive_name", note: "Look at that name" });
    assert.equal(filed.status, 201, JSON.stringify(filed.body));

    await page.getByRole("link", { name: "Reports" }).click();
    const card = page.getByRole("article", { name: `Report: ${alias}` });
    await card.getByText("Look at that name").waitFor();
    await shot("06b-reports");
    await card.getByLabel("Note for the audit log (optional)").fill("Alias hidden");
    await card.getByRole("button", { name: "Hide the alias" }).click();
    await card.getByRole("status").filter({ hasText: "the action is applied" }).waitFor();
    const shown = await troll.call("GET", "/v1/me/privacy");
    assert.equal(shown.body.alias_chosen, false, "back to the default alias");
    assert.equal(shown.body.alias, "Console W.");
  });

  it("shows a staked challenge's standings and escrow under Challenges and cancels it with every stake back", async () => {
    // The demo walker and Sam, friends of two weeks in the US with weeks of verified days
    // (the transfer policy's due for a stake), race for 20 coins each.
    const session = async ({ email, password }) => {
      const res = await fetch(`${BASE}/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password }),
      });
      assert.equal(res.status, 200);
      const body = await res.json();
      const call = async (method, path, json) => {
        const r = await fetch(`${BASE}${path}`, {
          method,
          headers: { "content-type": "application/json", authorization: `Bearer ${body.tokens.access_token}` },
          body: json ? JSON.stringify(json) : undefined,
        });
        return { status: r.status, body: await r.json().catch(() => null) };
      };
      return { id: body.user.id, call };
    };
    const stamp = Date.now();
    const ann = await session({ email: DEMO, password: "local-demo-password" });
    const bob = await session(SAM);
    const bobBefore = (await bob.call("GET", "/v1/wallet")).body;
    const title = `Console race ${stamp % 100000}`;
    const created = await ann.call("POST", "/v1/challenges", { template: "daily_showdown", title, stake_coins: 20, invitees: [bob.id] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await bob.call("POST", `/v1/challenges/${created.body.id}/accept`)).status, 200);
    assert.equal((await bob.call("GET", "/v1/wallet")).body.frozen_coins, bobBefore.frozen_coins + 20);

    await page.getByRole("link", { name: "Challenges" }).click();
    await page.getByRole("button", { name: title }).click();
    const card = page.getByRole("article", { name: `Challenge: ${title}` });
    await card.getByText("40 coins (20 a person)").waitFor();
    await card.getByRole("table", { name: "Standings" }).getByText("accepted").first().waitFor();
    await shot("06c-challenge");
    await card.getByLabel("Why cancel (for the audit log)").fill("A bet between two test accounts");
    await card.getByRole("button", { name: "Cancel the challenge and return every stake" }).click();
    await card.getByRole("status").filter({ hasText: "every stake is back" }).waitFor();
    const wallet = (await bob.call("GET", "/v1/wallet")).body;
    assert.deepEqual([wallet.available_coins, wallet.frozen_coins], [bobBefore.available_coins, bobBefore.frozen_coins]);
  });

  it("shows the seeded campaign, the month's payout report as CSV, and reverses a pending gift under Giving", async () => {
    // The demo walker gives to the seeded campaign and sends Sam, a friend of two weeks, a gift.
    const login = await fetch(`${BASE}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: DEMO, password: "local-demo-password" }),
    });
    const demo = (await login.json()).tokens.access_token;
    const call = async (method, path, json) => {
      const r = await fetch(`${BASE}${path}`, {
        method,
        headers: { "content-type": "application/json", authorization: `Bearer ${demo}` },
        body: json ? JSON.stringify(json) : undefined,
      });
      return { status: r.status, body: await r.json().catch(() => null) };
    };
    const campaigns = await call("GET", "/v1/campaigns");
    const water = campaigns.body.items.find((c) => c.charity_registration === "LOCAL-WATER-1");
    assert.ok(water, JSON.stringify(campaigns.body));
    const donated = await call("POST", `/v1/campaigns/${water.id}/donations`, { coins: 4000 });
    assert.equal(donated.status, 201, JSON.stringify(donated.body));
    const friends = await call("GET", "/v1/friends");
    const sam = friends.body.items.find((f) => f.alias.startsWith("Sam"));
    const sent = await call("POST", "/v1/gifts", { recipient_id: sam.id, coins: 300, message: "For the coffee" });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));

    await page.getByRole("link", { name: "Giving" }).click();
    const campaignsTable = page.getByRole("table", { name: "Campaigns" });
    await campaignsTable.getByRole("row").filter({ hasText: "Steps for clean water" }).filter({ hasText: "of $500.00" }).waitFor();
    const payouts = page.getByRole("table", { name: "Payouts" });
    await payouts.getByRole("row").filter({ hasText: "LOCAL-WATER-1" }).filter({ hasText: "carries over" }).waitFor();
    await shot("06d-giving");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
    const csv = await (await import("node:fs/promises")).readFile(await download.path(), "utf8");
    assert.match(csv, /^charity_registration,charity_name,month,donations,donated_cents/);
    assert.match(csv, /LOCAL-WATER-1,Clean Water Local,\d{4}-\d{2},\d+,\d+,/);

    const gifts = page.getByRole("table", { name: "Gifts" });
    const row = gifts.getByRole("row").filter({ hasText: "Sam" }).filter({ hasText: "300" }).first();
    page.once("dialog", (d) => void d.accept("Checked with the walker"));
    await row.getByRole("button", { name: "Reverse" }).click();
    await row.waitFor({ state: "detached" });
    const after = await call("GET", `/v1/gifts/${sent.body.id}`);
    assert.equal(after.body.status, "reversed");
  });

  it("finds each of those actions in the audit log, with before and after", async () => {
    await page.getByRole("link", { name: "Audit log" }).click();
    for (const action of ["change_request.create", "order.update", "user.coins", "report.resolve", "challenge.cancel", "gift.reverse"]) {
      await page.getByRole("article", { name: new RegExp(`^${action.replace(".", "\\.")} by ${ADMIN.email}`) }).first().waitFor();
    }
    await page.getByLabel("Action").fill("order.update");
    await page.getByRole("button", { name: "Filter" }).click();
    // The filtered page replaces the list: other actions go away.
    await page.getByRole("article", { name: /^user\.coins by/ }).first().waitFor({ state: "detached" });
    assert.equal(await page.getByRole("article", { name: /^(?!order\.update)/ }).count(), 0);
    // The push to Shopify is in the trail too, with the integration as the actor.
    await page.getByRole("article", { name: /^order\.update by Shopify$/ }).first().waitFor();
    const shipped = page.getByRole("article").filter({ hasText: "shipped" }).first();
    await shipped.locator("tr.changed").filter({ hasText: "status" }).waitFor();
    await shot("07-audit-log");
  });

  it("previews a push and a mail in a walker's language", async () => {
    await page.getByRole("link", { name: "Messages" }).click();
    await page.getByLabel("Channel").selectOption("push");
    await page.getByLabel("Message").selectOption("friend_accepted");
    await page.getByLabel("Language").selectOption("pl");
    const preview = page.getByRole("article", { name: "Preview" });
    // Polish plural: 5 is "many" (osób), not the "few" of 2-4 (osoby).
    await preview.getByText("Twoja lista znajomych liczy 5 osób.", { exact: false }).waitFor();
    await page.getByLabel("Channel").selectOption("mail");
    await page.getByLabel("Message").selectOption("verify_email");
    await page.getByLabel("Language").selectOption("de");
    await preview.getByText("Bestätige deine E-Mail-Adresse für FitKart").waitFor();
    await preview.getByText("Hallo Ann,", { exact: false }).waitFor();
    await shot("08-messages");
  });

  it("charts daily steps and active users over a range", async () => {
    await page.getByRole("link", { name: "Stats" }).click();
    await page.getByRole("img", { name: "Steps per day" }).waitFor();
    await page.getByText("Active accounts").waitFor();
    // The anomaly model's place on the screen (none is trained in a fresh stack).
    await page.getByText("No anomaly model trained yet").waitFor();
    // The apps the seeded walkers' days came from, allowed by the list.
    const writers = page.getByRole("article", { name: "Step writers" });
    await writers.getByRole("row").filter({ hasText: "com.garmin.android.apps.connectmobile" }).filter({ hasText: "watch" }).first().waitFor();
    await shot("08-stats");
  });

  it("works on a tablet and serves the API docs", async () => {
    await page.setViewportSize({ width: 768, height: 1024 });
    await page.getByRole("link", { name: "Review queue" }).click();
    await page.getByLabel("Show").selectOption("pending");
    await page.getByText("60,000").first().waitFor();
    await shot("09-review-tablet");
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.goto(`${BASE}/docs/`);
    await page.getByText("FitKart API", { exact: false }).first().waitFor();
    await page.locator(".opblock").first().waitFor();
    await shot("10-api-docs");
  });

  it("signs out when a 401 cannot be cured by a refresh", async () => {
    await page.goto(`${BASE}/admin/#/review`);
    await page.getByRole("heading", { name: "Review queue" }).waitFor();
    // The session ends elsewhere: the refresh token no longer works, the API answers 401.
    await page.evaluate(() => sessionStorage.setItem("fitkart.admin.refresh", "revoked"));
    await page.route("**/v1/admin/users**", (route) =>
      route.fulfill({
        status: 401,
        contentType: "application/problem+json",
        body: JSON.stringify({ type: "about:blank", title: "Unauthorized", status: 401, code: "unauthorized", detail: "A valid access token is required." }),
      }),
    );
    await page.getByRole("link", { name: "Users" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  });
});
