/* 民政大脑驾驶舱 — talks only to this service (same origin), with the token kept in this tab's
   session storage. Charts are SVG drawn by the server; no library, nothing from elsewhere. */
"use strict";
(() => {
  const KEY = "mzbrain.cockpit.token";
  const STATUS_ZH = { green: "达标", yellow: "按进度推进", red: "滞后", grey: "无数据" };
  const LEVEL_ZH = { province: "省", city: "市", county: "区县", township: "乡镇（街道）", village: "村（社区）" };
  const CHILD_LEVEL = { province: "city", city: "county", county: "township", township: "village" };
  const $ = (id) => document.getElementById(id);
  let token = null;
  let trail = [];
  let generation = 0;

  class AuthError extends Error {}

  function levelOf(code) {
    for (const [end, level] of [[2, "province"], [4, "city"], [6, "county"], [9, "township"]]) {
      if (/^0*$/.test(code.slice(end))) return level;
    }
    return "village";
  }

  function el(tag, options, ...children) {
    const node = document.createElement(tag);
    const opts = options || {};
    if (opts.cls) node.className = opts.cls;
    if (opts.text !== undefined) node.textContent = opts.text;
    for (const [key, value] of Object.entries(opts.data || {})) node.dataset[key] = value;
    for (const child of children) if (child) node.appendChild(child);
    return node;
  }

  function number(value) {
    if (value === null || value === undefined) return "—";
    const n = Number(value);
    if (!Number.isFinite(n)) return String(value);
    return n.toLocaleString("zh-CN", { maximumFractionDigits: 2 });
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : `${(Number(value) * 100).toFixed(1)}%`;
  }

  function takeToken() {
    const found = location.hash.match(/(?:^#|&)token=([^&]+)/);
    if (found) {
      sessionStorage.setItem(KEY, decodeURIComponent(found[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
    return sessionStorage.getItem(KEY);
  }

  async function api(path, params, as) {
    const url = new URL(path, location.origin);
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
    }
    const response = await fetch(url, {
      headers: { Authorization: `Bearer ${token}` },
      cache: "no-store",
      credentials: "omit",
    });
    if (response.status === 401) throw new AuthError("令牌无效或已过期，请重新粘贴。");
    if (!response.ok) {
      let detail = response.statusText;
      try {
        detail = (await response.json()).detail || detail;
      } catch (_ignored) {
        /* not a problem document */
      }
      throw new Error(`${response.status} ${detail}`);
    }
    return as === "text" ? response.text() : response.json();
  }

  function putSvg(figure, text) {
    const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
    const svg = parsed.documentElement;
    for (const old of figure.querySelectorAll("svg, p.empty")) old.remove();
    if (svg && svg.nodeName === "svg") figure.appendChild(document.importNode(svg, true));
  }

  function showLogin(message) {
    $("board").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
    document.body.dataset.state = "login";
  }

  function renderCrumbs() {
    const nav = $("crumbs");
    nav.replaceChildren();
    trail.forEach((step, index) => {
      if (index) nav.appendChild(el("span", { cls: "sep", text: "›" }));
      const button = el("button", { text: step.name || step.code, data: { region: step.code } });
      button.type = "button";
      button.addEventListener("click", () => {
        trail = trail.slice(0, index + 1);
        load(step.code);
      });
      nav.appendChild(button);
    });
  }

  function drill(code, name) {
    if (trail.length && trail[trail.length - 1].code === code) return;
    trail.push({ code, name });
    load(code);
  }

  function figuresText(item) {
    const parts = [`实际 ${item.actual ?? "—"}`, `目标 ${item.target ?? "—"}`];
    if (item.completion_rate !== null && item.completion_rate !== undefined) {
      parts.push(`完成率 ${percent(item.completion_rate)}`);
    }
    return `${parts.join(" / ")} ${item.unit || ""}`;
  }

  async function showChildren(li, item, code, period) {
    const open = li.querySelector("ul.children");
    if (open) {
      open.remove();
      return;
    }
    const list = el("ul", { cls: "children" });
    li.appendChild(list);
    const progress = await api(`/api/v1/indicators/${encodeURIComponent(item.code)}/progress`, {
      region_code: code,
      period,
    });
    const children = progress.tree.children || [];
    if (!children.length) list.appendChild(el("li", { text: "无下级区域" }));
    for (const child of children) {
      const link = el("button", { text: child.name || child.region_code, data: { region: child.region_code } });
      link.type = "button";
      link.addEventListener("click", () => drill(child.region_code, child.name));
      list.appendChild(
        el(
          "li",
          { data: { status: child.status } },
          el("span", { cls: `dot ${child.status}`, text: "" }),
          link,
          el("span", { cls: "figures", text: `${STATUS_ZH[child.status]} · ${figuresText(child)}` }),
        ),
      );
    }
  }

  function renderBoard(board, period) {
    $("board-title").textContent = `${board.name} · ${board.period}年 · 截至 ${board.as_of}`;
    const counts = $("counts");
    counts.replaceChildren();
    for (const status of ["green", "yellow", "red", "grey"]) {
      counts.appendChild(
        el("span", { data: { status } }, el("span", { cls: `dot ${status}` }),
          el("span", { text: `${STATUS_ZH[status]} ${board.counts[status]}` })),
      );
    }
    const lights = $("lights");
    lights.replaceChildren();
    for (const item of board.items) {
      const outlook =
        item.will_meet === true ? "预计期末达标" : item.will_meet === false ? "预计期末未达标" : "暂无预测";
      const head = el(
        "button",
        {},
        el("span", { cls: `dot ${item.status}` }),
        el("span", { cls: "name", text: item.name_zh }),
        el("div", { cls: "figures", text: `${STATUS_ZH[item.status]} · ${figuresText(item)}` }),
        el("div", {
          cls: `outlook ${item.will_meet === false ? "miss" : item.will_meet ? "meet" : ""}`,
          text: `${outlook}${item.projected !== null && item.projected !== undefined ? `（预计 ${item.projected}）` : ""}`,
        }),
      );
      head.type = "button";
      const li = el("li", { cls: "light", data: { code: item.code, status: item.status } }, head);
      head.addEventListener("click", () => {
        showChildren(li, item, board.region_code, period).catch(fail);
      });
      lights.appendChild(li);
    }
  }

  async function renderTrends(code) {
    const charts = [
      ["trend-households", "households", "count", "救助家庭户数（按审批月份）"],
      ["trend-payments", "payments", "amount", "救助金发放金额（元）"],
      ["trend-assessments", "assessments", "count", "能力评估人数（按评估月份）"],
    ];
    await Promise.all(
      charts.map(async ([id, cube, measure, title]) => {
        const svg = await api(`/api/v1/analytics/${cube}/trend.svg`, { region_code: code, measure, title }, "text");
        putSvg($(id), svg);
      }),
    );
  }

  function byCode(answer, key) {
    const out = new Map();
    for (const row of answer.rows) out.set(row[key], row);
    return out;
  }

  async function renderCompare(code, detail, period) {
    const level = CHILD_LEVEL[levelOf(code)];
    const table = $("compare");
    table.replaceChildren();
    for (const id of ["compare-households", "compare-payments"]) {
      for (const old of $(id).querySelectorAll("svg, p.empty")) old.remove();
    }
    if (!level || !detail.children.length) {
      $("compare-title").textContent = "下级区域对比";
      table.appendChild(el("tbody", {}, el("tr", {}, el("td", { text: "无下级区域" }))));
      return;
    }
    $("compare-title").textContent = `各${LEVEL_ZH[level]}对比`;
    const by = `region:${level}`;
    const span = { from: period, to: period };
    const [households, payments, assessments, trusts, householdsSvg, paymentsSvg] = await Promise.all([
      api("/api/v1/analytics/households", { by, measures: "count,members,benefit", region_code: code }),
      api("/api/v1/analytics/payments", { by, measures: "count,amount", region_code: code, ...span }),
      api("/api/v1/analytics/assessments", { by, measures: "count,avg_score", region_code: code }),
      api("/api/v1/analytics/charity_trusts", { by, measures: "count,amount", region_code: code }),
      api("/api/v1/analytics/households/chart.svg", { by, measure: "count", region_code: code, title: "救助家庭户数" }, "text"),
      api("/api/v1/analytics/payments/chart.svg", {
        by, measure: "amount", region_code: code, title: `${period}年救助金发放（元）`, ...span,
      }, "text"),
    ]);
    const maps = [households, payments, assessments, trusts].map((answer) => byCode(answer, by));
    const header = ["区域", "救助家庭（户）", "救助人数", "月救助金（元）", `${period}年发放（元）`,
      "评估人数", "平均得分", "慈善信托规模（元）"];
    table.appendChild(el("thead", {}, el("tr", {}, ...header.map((text) => el("th", { text })))));
    const body = el("tbody");
    for (const child of detail.children) {
      const [h, p, a, t] = maps.map((map) => map.get(child.code) || {});
      const link = el("button", { text: child.name, data: { region: child.code } });
      link.type = "button";
      link.addEventListener("click", () => drill(child.code, child.name));
      const cells = [h.count ?? 0, h.members ?? 0, h.benefit ?? "0.00", p.amount ?? "0.00",
        a.count ?? 0, a.avg_score, t.amount ?? "0.00"];
      body.appendChild(
        el("tr", { data: { region: child.code } }, el("td", {}, link), ...cells.map((v) => el("td", { text: number(v) }))),
      );
    }
    table.appendChild(body);
    putSvg($("compare-households"), householdsSvg);
    putSvg($("compare-payments"), paymentsSvg);
  }

  function fail(error) {
    if (error instanceof AuthError) {
      sessionStorage.removeItem(KEY);
      token = null;
      showLogin(error.message);
      return;
    }
    $("board-error").textContent = `加载失败：${error.message}`;
    document.body.dataset.state = "error";
  }

  async function load(code) {
    const mine = ++generation;
    const period = $("period").value;
    document.body.dataset.state = "loading";
    $("board-error").textContent = "";
    renderCrumbs();
    try {
      const [board, detail] = await Promise.all([
        api("/api/v1/indicators/dashboard", { region_code: code, period }),
        api(`/api/v1/regions/${code}`),
      ]);
      if (mine !== generation) return;
      renderBoard(board, period);
      await Promise.all([renderTrends(code), renderCompare(code, detail, period)]);
      if (mine === generation) document.body.dataset.state = "ready";
    } catch (error) {
      fail(error);
    }
  }

  async function start() {
    token = takeToken();
    if (!token) {
      showLogin("");
      return;
    }
    $("login").hidden = true;
    $("board").hidden = false;
    $("logout").hidden = false;
    try {
      const home = await api("/api/v1/indicators/dashboard", { period: $("period").value });
      trail = [{ code: home.region_code, name: home.name }];
      await load(home.region_code);
    } catch (error) {
      fail(error);
    }
  }

  function setup() {
    const select = $("period");
    const year = new Date().getFullYear();
    for (let y = year; y > year - 5; y -= 1) select.appendChild(el("option", { text: String(y) }));
    select.value = String(year);
    select.addEventListener("change", () => {
      if (trail.length) load(trail[trail.length - 1].code);
    });
    $("enter").addEventListener("click", () => {
      const pasted = $("token").value.trim().replace(/^Bearer\s+/i, "");
      if (!pasted) return;
      sessionStorage.setItem(KEY, pasted);
      $("token").value = "";
      start();
    });
    $("logout").addEventListener("click", () => {
      sessionStorage.removeItem(KEY);
      token = null;
      trail = [];
      $("crumbs").replaceChildren();
      showLogin("已退出。");
    });
    start();
  }

  setup();
})();
