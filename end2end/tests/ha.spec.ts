// Live HA state in the console (spec ha-state.md, "The console"): the 主节点 column, the
// health filter, the alarm banner, changes that appear without a reload, and the detail drawer.
// The HA state is seeded the way agents make it: reports through the REST API, each sent with
// the agent token that the CLI makes for its VM. Each test works in a tenant of its own: the
// banner counts the whole tenant, and an agent's sequence numbers belong to its VM.

import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { havipCli } from '../global-setup';
import { base, cell, createSettled, freshTenant, login, reload, row, type Tenant } from './helpers';

/** The agent of one VM: its token and the sequence numbers of its reports. */
class Agent {
  private seq = 0;

  private constructor(
    private readonly request: APIRequestContext,
    private readonly token: string,
  ) {}

  /** An agent token for the VM, made by `havip token create --agent` (its last line is the secret). */
  static of(request: APIRequestContext, vmId: string): Agent {
    const printed = havipCli(['token', 'create', '--agent', '--vm', vmId]).trim().split('\n');
    return new Agent(request, printed[printed.length - 1]);
  }

  /**
   * Reports whether the VM holds each HAVIP's address; keepalived's state is MASTER if it does,
   * else BACKUP, unless `vrrpState` says otherwise. `observedAt` is the agent's clock (now).
   */
  async report(holds: Record<string, boolean>, options: { configRevision?: number; vrrpState?: string; observedAt?: string } = {}) {
    this.seq += 1;
    const response = await this.request.post(`${base()}/api/v1/agent/reports`, {
      headers: { Authorization: `Bearer ${this.token}` },
      data: {
        seq: this.seq,
        observed_at: options.observedAt ?? new Date().toISOString(),
        // A long interval: the agent stays "reporting" for three of them, longer than any test.
        interval_ms: 60_000,
        keepalived_running: true,
        havips: Object.entries(holds).map(([havip_id, held]) => ({
          havip_id,
          holds_vip: held,
          vrrp_state: options.vrrpState ?? (held ? 'MASTER' : 'BACKUP'),
          config_revision: options.configRevision ?? null,
        })),
      },
    });
    expect(response.status(), await response.text()).toBe(200);
  }
}

/** Creates available HAVIPs in the tenant's front subnet, by name, each bound to the tenant's VMs at the given indexes; answers their IDs by name. */
async function havips(page: Page, tenant: Tenant, bound: Record<string, number[]>) {
  const made = await createSettled(
    page,
    Object.entries(bound).map(([name, vms]) => ({ name, vpc_id: tenant.vpc, subnet_id: tenant.subnet, vm_ids: vms.map((i) => tenant.vms[i].id) })),
  );
  return Object.fromEntries(made.map((havip: { name: string; id: string }) => [havip.name, havip.id]));
}

test('the 主节点 column shows the observed master with its dot, and a split brain names both VMs', async ({ page, request }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const ids = await havips(page, tenant, { 'ha-one': [0, 1], 'ha-split': [2, 3] });
  await reload(page);
  // Before any agent reports, no master is guessed: a dash, with a hint to install the agent.
  const one = cell(row(page, 'ha-one'), '主节点');
  await expect(one).toHaveAttribute('data-health', 'unknown');
  await expect(one).toHaveText('—');
  await expect(one.getByText('—')).toHaveAttribute('title', /安装 Agent/);

  const agents = tenant.vms.slice(0, 4).map((vm) => Agent.of(request, vm.id));
  await agents[0].report({ [ids['ha-one']]: true });
  await agents[1].report({ [ids['ha-one']]: false });
  await agents[2].report({ [ids['ha-split']]: true });
  await agents[3].report({ [ids['ha-split']]: true });
  await reload(page);

  await expect(one).toHaveAttribute('data-health', 'healthy');
  await expect(one).toHaveText(tenant.vms[0].name);
  await expect(one.getByRole('img', { name: '正常' })).toBeVisible();
  await expect(cell(row(page, 'ha-one'), '关联虚拟机').getByText(tenant.vms[0].name)).toContainText('主');

  const split = cell(row(page, 'ha-split'), '主节点');
  await expect(split).toHaveAttribute('data-health', 'split_brain');
  await expect(split).toContainText('脑裂');
  await expect(split).toContainText(tenant.vms[2].name);
  await expect(split).toContainText(tenant.vms[3].name);
});

test('the health filter shows the HAVIPs of the chosen healths, and 清除筛选 clears it', async ({ page, request }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const ids = await havips(page, tenant, { calm: [0, 1], torn: [2, 3], quiet: [] });
  const agents = tenant.vms.slice(0, 4).map((vm) => Agent.of(request, vm.id));
  await agents[0].report({ [ids.calm]: true });
  await agents[1].report({ [ids.calm]: false });
  await agents[2].report({ [ids.torn]: true });
  await agents[3].report({ [ids.torn]: true });
  await reload(page);
  await expect(page.getByRole('row')).toHaveCount(4);

  await page.getByRole('button', { name: /^健康状态/ }).click();
  await page.getByRole('checkbox', { name: '正常' }).check();
  await expect(page).toHaveURL(/health=healthy/);
  await expect(row(page, 'calm')).toBeVisible();
  await expect(page.getByRole('row')).toHaveCount(2);
  await page.getByRole('checkbox', { name: '未知' }).check();
  await expect(row(page, 'quiet')).toBeVisible();
  await expect(row(page, 'torn')).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^健康状态 \(2\)/ })).toBeVisible();

  await page.getByRole('button', { name: '清除筛选' }).click();
  await expect(page).not.toHaveURL(/health=/);
  await expect(page.getByRole('row')).toHaveCount(4);
});

test('the banner counts the HAVIPs in a split brain or without a master, and its button shows only the alarms', async ({ page, request }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  await expect(page.getByRole('alert')).toHaveCount(0);
  const ids = await havips(page, tenant, { calm: [0, 1], torn: [2, 3], lost: [4] });
  const agents = tenant.vms.slice(0, 5).map((vm) => Agent.of(request, vm.id));
  await agents[0].report({ [ids.calm]: true });
  await agents[1].report({ [ids.calm]: false });
  await agents[2].report({ [ids.torn]: true });
  await agents[3].report({ [ids.torn]: true });
  // Its only VM reports that it does not hold the address: no master once the grace is over.
  await agents[4].report({ [ids.lost]: false });
  await expect
    .poll(async () => (await (await page.request.get(`${base()}/api/v1/havips/${ids.lost}`)).json()).ha.health)
    .toBe('no_master');
  await reload(page);

  const banner = page.getByRole('alert').filter({ hasText: '异常' });
  await expect(banner).toHaveText(/2 个高可用VIP 异常/);
  await banner.getByRole('button', { name: '查看' }).click();
  // The alarms: a split brain, no master, and the network disagreeing (OVN driver).
  await expect(page).toHaveURL(/health=split_brain&health=no_master&health=fabric_disagrees/);
  await expect(row(page, 'torn')).toBeVisible();
  await expect(row(page, 'lost')).toBeVisible();
  await expect(cell(row(page, 'lost'), '主节点')).toHaveText('无主节点');
  await expect(row(page, 'calm')).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^健康状态 \(3\)/ })).toBeVisible();
});

test('a failover reported while the page is open shows within 3 s, without a reload', async ({ page, request }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const ids = await havips(page, tenant, { live: [0, 1] });
  const [first, second] = tenant.vms.slice(0, 2).map((vm) => Agent.of(request, vm.id));
  await first.report({ [ids.live]: true });
  await second.report({ [ids.live]: false });
  await reload(page);
  const master = cell(row(page, 'live'), '主节点');
  await expect(master).toHaveText(tenant.vms[0].name);
  // A reload would lose this.
  await page.evaluate(() => Object.assign(window, { sameDocument: true }));

  await second.report({ [ids.live]: true });
  await first.report({ [ids.live]: false });
  await expect(master).toHaveText(tenant.vms[1].name, { timeout: 3_000 });

  // The first takes the address again while the second keeps it: the banner appears too.
  await first.report({ [ids.live]: true });
  await expect(master).toHaveAttribute('data-health', 'split_brain', { timeout: 3_000 });
  await expect(page.getByRole('alert').filter({ hasText: '1 个高可用VIP 异常' })).toBeVisible({ timeout: 3_000 });
  expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
});

/** Opens a HAVIP's detail drawer from its name in the list. */
async function openDrawer(page: Page, name: string) {
  await row(page, name).getByRole('button', { name, exact: true }).click();
  const drawer = page.getByRole('dialog', { name });
  await expect(drawer).toBeVisible();
  return drawer;
}

test('the detail drawer shows each bound VM as its agent reports it, and Esc closes it', async ({ page, request }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const ids = await havips(page, tenant, { detail: [0, 1, 2] });
  const revision = (await (await page.request.get(`${base()}/api/v1/havips/${ids.detail}`)).json()).config_revision;
  const [first, second] = tenant.vms.slice(0, 2).map((vm) => Agent.of(request, vm.id));
  await first.report({ [ids.detail]: true }, { configRevision: revision });
  // The second runs a configuration from before the last change of the HAVIP's VMs.
  await second.report({ [ids.detail]: false }, { configRevision: revision - 1 });
  await reload(page);

  const drawer = await openDrawer(page, 'detail');
  const overview = drawer.getByRole('tab', { name: '概览' });
  await expect(overview).toHaveAttribute('aria-selected', 'true');
  await expect(overview).toBeFocused();
  // The third VM has no agent: the HAVIP is degraded, its master the first.
  await expect(drawer.getByRole('definition').filter({ hasText: '降级' })).toBeVisible();
  await expect(drawer.getByRole('definition').filter({ hasText: tenant.vms[0].name })).toBeVisible();
  const vmRow = (i: number) => drawer.getByRole('row').filter({ hasText: tenant.vms[i].name });
  await expect(vmRow(0).getByRole('cell')).toHaveText([tenant.vms[0].name, tenant.vms[0].ip, '上报中', 'MASTER', '是', '运行中', /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/, String(revision), '安装 Agent']);
  await expect(vmRow(1)).toContainText('BACKUP');
  await expect(vmRow(1)).toContainText('配置已过期');
  await expect(vmRow(0)).not.toContainText('配置已过期');
  await expect(vmRow(2).getByRole('cell').nth(2)).toHaveText('未安装');
  await expect(vmRow(2).getByRole('cell').nth(3)).toHaveText('—');

  await page.keyboard.press('Escape');
  await expect(drawer).toBeHidden();
  await expect(row(page, 'detail').getByRole('button', { name: 'detail', exact: true })).toBeFocused();
  // The 详情 action opens it too.
  await cell(row(page, 'detail'), '操作').getByRole('button', { name: '详情 detail' }).click();
  await expect(page.getByRole('dialog', { name: 'detail' })).toBeVisible();
});

test('安装 Agent shows the one-line install once, with a token that reports for its VM', async ({ page, request }) => {
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const ids = await havips(page, tenant, { installed: [0, 1] });
  await reload(page);
  let drawer = await openDrawer(page, 'installed');
  const vmRow = drawer.getByRole('row').filter({ hasText: tenant.vms[1].name });
  await expect(vmRow).toContainText('未安装');
  await drawer.getByRole('button', { name: `安装 Agent ${tenant.vms[1].name}` }).click();
  const line = drawer.getByText(/^HAVIP_AGENT_TOKEN=/);
  const server = base().replace(/[.]/g, '\\.');
  await expect(line).toHaveText(new RegExp(`^HAVIP_AGENT_TOKEN=\\S+ havip agent --server ${server} --state-dir /run/havip-agent$`));
  await expect(drawer.getByRole('button', { name: '复制 密钥' })).toBeVisible();

  // The token is an agent token of that VM: its report counts, and the drawer shows it live.
  const token = (await line.textContent())!.match(/^HAVIP_AGENT_TOKEN=(\S+)/)![1];
  const report = await request.post(`${base()}/api/v1/agent/reports`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { seq: 1, observed_at: new Date().toISOString(), interval_ms: 60_000, keepalived_running: true, havips: [{ havip_id: ids.installed, holds_vip: true, vrrp_state: 'MASTER' }] },
  });
  expect(report.status(), await report.text()).toBe(200);
  await expect(vmRow).toContainText('上报中', { timeout: 3_000 });
  await expect(line).toBeVisible();

  // Shown once: the drawer opened again does not have it.
  await page.keyboard.press('Escape');
  drawer = await openDrawer(page, 'installed');
  await expect(drawer.getByRole('row').filter({ hasText: tenant.vms[1].name })).toContainText('MASTER');
  await expect(drawer.getByText(/HAVIP_AGENT_TOKEN=/)).toHaveCount(0);
});

test('the 配置 tab gives the chosen VM its file, one peer per line, to copy or download', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  const ids = await havips(page, tenant, { conf: [0, 1, 2] });
  await reload(page);
  const drawer = await openDrawer(page, 'conf');
  await drawer.getByRole('tab', { name: '配置' }).click();
  const [first, second, third] = tenant.vms;
  await drawer.getByRole('combobox', { name: '虚拟机' }).selectOption({ label: `${second.name} (${second.ip})` });
  const fileName = `keepalived-${ids.conf}-${second.id}.conf`;
  const file = drawer.getByRole('figure', { name: fileName });
  await expect(file).toContainText(`unicast_src_ip ${second.ip}`);
  // keepalived misreads several peers on one line: each is on a line of its own.
  await expect(file).toContainText(new RegExp(`unicast_peer \\{\\n\\s+${first.ip}\\n\\s+${third.ip}\\n\\s+\\}`));
  await expect(file).toContainText('interface eth0');

  // The server checks the interface name; its refusal shows on the field.
  const iface = drawer.getByRole('textbox', { name: '网卡' });
  await iface.fill('eth0; reboot');
  await expect(iface).toHaveAttribute('aria-invalid', 'true');
  await expect(drawer.getByText('网卡名须为 1–15 个字母、数字、“.”、“_” 或 “-”')).toBeVisible();
  await iface.fill('ens3');
  await expect(iface).toHaveAttribute('aria-invalid', 'false');
  await expect(file).toContainText('interface ens3');

  await file.getByRole('button', { name: '复制' }).click();
  await expect(page.getByRole('status').getByText('已复制')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('dev ens3');
  const [download] = await Promise.all([page.waitForEvent('download'), file.getByRole('button', { name: '下载' }).click()]);
  expect(download.suggestedFilename()).toBe(fileName);
  expect(readFileSync(await download.path(), 'utf8')).toContain(`unicast_src_ip ${second.ip}`);
});

test('in English: the column, the filter, the banner and the drawer', async ({ page, request }) => {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => ['error', 'warning'].includes(message.type()) && problems.push(message.text()));
  const tenant = freshTenant();
  await login(page, tenant.username, tenant.password);
  await page.getByRole('button', { name: 'English' }).click();
  const ids = await havips(page, tenant, { steady: [0, 1], torn: [2, 3] });
  const agents = tenant.vms.slice(0, 4).map((vm) => Agent.of(request, vm.id));
  await agents[0].report({ [ids.steady]: true });
  await agents[1].report({ [ids.steady]: false });
  await agents[2].report({ [ids.torn]: true });
  await agents[3].report({ [ids.torn]: true });
  await reload(page);

  await expect(page.getByRole('columnheader', { name: 'Master' })).toBeVisible();
  const torn = row(page, 'torn');
  await expect(cell(torn, '主节点')).toContainText('Split brain');
  await expect(row(page, 'steady').getByRole('img', { name: 'Healthy' })).toBeVisible();
  const banner = page.getByRole('alert').filter({ hasText: 'need' });
  await expect(banner).toHaveText(/1 HAVIP needs attention/);
  await banner.getByRole('button', { name: 'Show them' }).click();
  await expect(page).toHaveURL(/health=split_brain&health=no_master&health=fabric_disagrees/);
  await expect(page.getByRole('button', { name: /^Health \(3\)/ })).toBeVisible();
  await expect(row(page, 'steady')).toHaveCount(0);

  await torn.getByRole('button', { name: 'Details torn' }).click();
  const drawer = page.getByRole('dialog', { name: 'torn' });
  await expect(drawer.getByRole('tab')).toHaveText(['Overview', 'Events', 'Configuration']);
  await expect(drawer.getByRole('row').filter({ hasText: tenant.vms[2].name })).toContainText('Reporting');
  await expect(drawer.getByRole('button', { name: `Install agent ${tenant.vms[2].name}` })).toBeVisible();
  await drawer.getByRole('tab', { name: 'Events' }).click();
  await expect(drawer.getByRole('listitem').filter({ hasText: `Split brain began on ${tenant.vms[2].name}, ${tenant.vms[3].name}` })).toBeVisible();
  await drawer.getByRole('tab', { name: 'Configuration' }).click();
  await expect(drawer.getByRole('textbox', { name: 'Interface' })).toHaveValue('eth0');
  await expect(drawer.getByRole('figure')).toContainText('vrrp_instance');
  expect(problems, 'no errors or warnings in the browser').toEqual([]);
});

test.describe('in China (UTC+8)', () => {
  test.use({ timezoneId: 'Asia/Shanghai' });

  test('the 事件 tab tells the history in words, newest first, at the agent\'s time, and loads more', async ({ page, request }) => {
    const tenant = freshTenant();
    await login(page, tenant.username, tenant.password);
    const ids = await havips(page, tenant, { story: [0, 1] });
    const [first, second] = tenant.vms.slice(0, 2).map((vm) => Agent.of(request, vm.id));
    await first.report({ [ids.story]: true });
    // More than a page of history: keepalived of the second VM goes in and out of FAULT.
    for (let i = 0; i < 30; i++) {
      await second.report({ [ids.story]: false }, { vrrpState: 'FAULT' });
      await second.report({ [ids.story]: false }, { vrrpState: 'BACKUP' });
    }
    // A failover, seen by the agents at a time of their own (10:04:05 in China).
    const seenAt = '2026-01-02T02:04:05Z';
    await second.report({ [ids.story]: true }, { observedAt: seenAt });
    await first.report({ [ids.story]: false }, { observedAt: seenAt });
    await reload(page);

    const drawer = await openDrawer(page, 'story');
    await drawer.getByRole('tab', { name: '事件' }).click();
    const events = drawer.getByRole('listitem');
    const [a, b] = [tenant.vms[0].name, tenant.vms[1].name];
    // Newest first: the failover is among the first (its report also made a VRRP event, at the same time).
    const failover = events.filter({ hasText: `主节点由 ${a} 切换为 ${b}` });
    await expect(failover).toContainText('2026-01-02 10:04:05');
    await expect(failover).toContainText('Agent 时间');
    await expect(events.first().or(events.nth(1)).or(events.nth(2)).filter({ hasText: '主节点由' })).toBeVisible();
    await expect(events.filter({ hasText: `脑裂开始：${b}、${a} 同时持有 VIP` }).or(events.filter({ hasText: `脑裂开始：${a}、${b} 同时持有 VIP` }))).toBeVisible();
    await expect(events.filter({ hasText: '脑裂结束' })).toBeVisible();
    await expect(events.filter({ hasText: `${b} 的 VRRP 状态为 FAULT` }).first()).toBeVisible();
    await expect(events).toHaveCount(50);
    await expect(events.filter({ hasText: '创建' })).toHaveCount(0);

    await drawer.getByRole('button', { name: '加载更多' }).click();
    await expect(events.last()).toContainText('创建');
    await expect(events.last()).toContainText('服务器时间');
    await expect(events.last()).toContainText(tenant.username);
    // Appended, not replaced: the first 50 are still there above the older ones.
    expect(await events.count()).toBeGreaterThan(50);
    await expect(failover).toBeVisible();
    await expect(drawer.getByRole('button', { name: '加载更多' })).toHaveCount(0);
  });
});
