import { it } from 'vitest';
import { load, planDeclared, planText, zone3Config, zone3Facts } from '../support/first-data.js';
const cfg = zone3Config('[[zone]]\nid = 3\nstandby_of = { zone = 1 }\n');
it('explore', async () => {
  const p = await planDeclared(load(cfg), zone3Facts(true));
  console.log(planText(p));
  for (const a of p.plan.actions.filter((a) => a.host === 'ssh-pg2')) console.log(a.kind, JSON.stringify(p.changes.get(a.address)?.steps.map((s) => s.command)));
  const q = await planDeclared(load(cfg), zone3Facts(false, false, (all) => { all.get('ssh-pg2')!.postgres!.inRecovery = true; }));
  console.log(planText(q));
});
