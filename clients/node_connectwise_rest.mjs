// Drives the running mock with connectwise-rest (npm), unchanged.
//
// Environment: the CW_* lines the mock prints (run it with --tls: connectwise-rest builds
// https:// URLs only), NODE_EXTRA_CA_CERTS=$CW_CA_CERT, and CW_NODE_PREFIX, the npm prefix
// the package was installed into. Every call must succeed; any failure exits non-zero.
import { createRequire } from 'node:module';
import path from 'node:path';
import crypto from 'node:crypto';

const require = createRequire(path.join(process.env.CW_NODE_PREFIX, 'package.json'));
const { ManageAPI } = require('connectwise-rest');

const env = process.env;
const cwm = new ManageAPI({
  companyId: env.CW_COMPANY,
  companyUrl: env.CW_URL.replace(/^https:\/\//, ''),
  publicKey: env.CW_PUBLIC_KEY,
  privateKey: env.CW_PRIVATE_KEY,
  clientId: env.CW_CLIENT_ID,
  // The client's default Accept is "application/vnd.connectwise.com+json; version=2021.1, application/json".
  logger: (level, text, meta) => { if (level === 'error') console.error(text, JSON.stringify(meta)); },
});
const tag = crypto.randomBytes(3).toString('hex');
const failed = [];

function check(what, ok, detail = '') {
  console.log(`${ok ? 'ok   ' : 'FAIL '}${what}${!ok && detail ? ` (${detail})` : ''}`);
  if (!ok) failed.push(what);
}

async function step(what, fn) {
  try {
    return await fn();
  } catch (e) {
    check(what, false, JSON.stringify(e?.data ?? e?.message ?? e));
    return undefined;
  }
}

// --- members -------------------------------------------------------------------------------
const members = await step('members: list', () => cwm.SystemAPI.getSystemMembers({ pageSize: 100 }));
check('members: list', Array.isArray(members) && members.length > 0);
const paged = await step('members: paginate', () =>
  cwm.paginate(cwm.SystemAPI.getSystemMembers, { startPage: 1, pageSize: 2 }, { orderBy: 'identifier' }));
check('members: own paginate helper walks every member once',
  paged && new Set(paged.map((m) => m.id)).size === paged.length && paged.length === members?.length);
const full = await step('members: filter', () =>
  cwm.SystemAPI.getSystemMembers({ conditions: 'licenseClass != "A" and inactiveFlag = false', pageSize: 1000 }));
check('members: filter', full && full.length > 0 && full.every((m) => m.licenseClass !== 'A'));
const m = await step('members: create', () => cwm.SystemAPI.postSystemMembers({
  identifier: `cwr${tag}`, firstName: 'Node', lastName: 'Trial', licenseClass: 'F',
  hireDate: '2024-01-01T00:00:00Z', defaultEmail: 'Office', defaultPhone: 'Office', securityRole: { id: 2 },
}));
if (m) {
  const back = await step('members: read back', () => cwm.SystemAPI.getSystemMembersById(m.id));
  check('members: read back', back?.identifier === `cwr${tag}` && back?.securityRole?._info?.securityRole_href !== undefined);
  const p = await step('members: patch', () =>
    cwm.SystemAPI.patchSystemMembersById(m.id, [{ op: 'replace', path: 'title', value: 'Patched' }]));
  check('members: patch', p?.title === 'Patched');
}

// --- companies -----------------------------------------------------------------------------
const cos = await step('companies: list', () => cwm.CompanyAPI.getCompanyCompanies({}));
check('companies: list', Array.isArray(cos) && cos.length > 0);
const walked = await step('companies: paginate', () =>
  cwm.paginate(cwm.CompanyAPI.getCompanyCompanies, { startPage: 1, pageSize: 1 }, {}));
check('companies: own paginate helper', walked?.length === cos?.length);
const flt = await step('companies: filter', () =>
  cwm.CompanyAPI.getCompanyCompanies({ conditions: 'identifier like "Acme%" and deletedFlag = false' }));
check('companies: filter', flt?.length >= 1 && flt.every((c) => c.identifier.startsWith('Acme')));
const c = await step('companies: create', () =>
  cwm.CompanyAPI.postCompanyCompanies({ identifier: `Cwr${tag}`, name: 'Node Client Co', site: { name: 'Main' } }));
if (c) {
  const back = await step('companies: read back', () => cwm.CompanyAPI.getCompanyCompaniesById(c.id));
  check('companies: read back', back?.identifier === `Cwr${tag}` && back?.deletedFlag === false);
  const p = await step('companies: patch', () =>
    cwm.CompanyAPI.patchCompanyCompaniesById(c.id, [{ op: 'replace', path: 'city', value: 'Springfield' }]));
  check('companies: patch', p?.city === 'Springfield');
}

// --- tickets -------------------------------------------------------------------------------
const ts = await step('tickets: list', () => cwm.ServiceAPI.getServiceTickets({}));
check('tickets: list', Array.isArray(ts) && ts.length > 0);
const tp = await step('tickets: paginate', () =>
  cwm.paginate(cwm.ServiceAPI.getServiceTickets, { startPage: 1, pageSize: 1 }, { conditions: 'closedFlag = false' }));
check('tickets: own paginate helper', tp?.length >= 1);
const t = await step('tickets: create', () => cwm.ServiceAPI.postServiceTickets({
  summary: `connectwise-rest ${tag}`, company: { identifier: 'AcmeCorp' }, board: { name: 'Help Desk' },
}));
if (t) {
  const back = await step('tickets: read back', () => cwm.ServiceAPI.getServiceTicketsById(t.id));
  check('tickets: read back', back?.summary === `connectwise-rest ${tag}` && back?.closedFlag === false);
  const p = await step('tickets: patch', () => cwm.ServiceAPI.patchServiceTicketsById(t.id, [
    { op: 'replace', path: 'board/name', value: 'Alerts' },
    { op: 'replace', path: 'status/name', value: 'In Progress' },
  ]));
  check('tickets: patch board/name and status/name re-resolve them', p?.board?.name === 'Alerts' && p?.status?.name === 'In Progress');
  const f = await step('tickets: filter', () =>
    cwm.ServiceAPI.getServiceTickets({ conditions: `summary = "connectwise-rest ${tag}" and board/name = "Alerts"` }));
  check('tickets: filter', f?.length === 1 && f[0].id === t.id);
}

console.log(`connectwise-rest: ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
