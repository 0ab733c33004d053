// Counter console (窗口叫号台): polls the window's state every second, sends each operation as JSON
// with the CSRF token, and never builds HTML from data (textContent only).
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root) { return; }
  var stateUrl = root.dataset.stateUrl, opUrl = root.dataset.opUrl;
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var POLL_MS = 1000;
  var last = null, busy = false, pending = null, timer = null;

  var ASK = {
    skip: { title: "过号 Skip — 原因 reason", reason: true, choices: ["未到场", "材料不全，另约时间", "其他"] },
    call_number: { title: "特呼 Call a number — 号码和原因", number: true, reason: true,
                   choices: ["群众返回", "优先办理", "其他"] },
    transfer: { title: "转移 Transfer — 去向和原因", target: true, reason: true,
                choices: ["需其他部门办理", "需综合窗口办理", "材料需审核"] },
    pause: { title: "暂停 Pause — 原因（可不填）", reason: false, choices: ["午休", "会议", "临时离开"] }
  };
  var DONE = { call_next: "已呼叫", recall: "已重呼", skip: "已过号", call_number: "已特呼", transfer: "已转移",
               start: "开始办理", finish: "已办结", pause: "已暂停", resume: "已恢复受理" };

  function $(id) { return document.getElementById(id); }
  function text(el, value) { el.textContent = value == null ? "" : String(value); }
  function el(tag, value, cls) { var e = document.createElement(tag); text(e, value); if (cls) { e.className = cls; } return e; }

  function say(message, ok) {
    var m = $("message");
    text(m, message);
    m.className = "message " + (ok ? "ok" : "error");
  }

  function render(s) {
    last = s;
    var w = s.window;
    var badge = $("status");
    text(badge, s.status_zh + " " + w.status);
    badge.className = "badge " + w.status;
    text($("staff"), w.staff_name ? w.staff_name + (w.staff_post ? " · " + w.staff_post : "") : "");
    $("evaluation").hidden = !s.awaiting_evaluation;
    text($("clock"), s.now);
    var number = $("number");
    number.className = s.current ? "number" : "number idle";
    if (s.current) {
      text(number, s.current.number);
      var detail = s.current.state_zh + " · " + s.current.queue + " · " + s.current.since;
      if (s.current.priority !== "normal") { detail += " · " + s.current.priority_zh; }
      if (s.current.state === "called") { detail += " · 重呼 " + s.current.recalls + "/" + s.current.recall_limit; }
      text($("current-detail"), detail);
    } else {
      text(number, "空闲");
      text($("current-detail"), "暂无呼叫中的号码 nobody called");
    }
    var body = $("queues");
    body.replaceChildren();
    s.queues.forEach(function (q) {
      var tr = document.createElement("tr");
      tr.appendChild(el("td", q.prefix + " " + q.name));
      tr.appendChild(el("td", q.waiting));
      tr.appendChild(el("td", q.last_called || "—"));
      tr.appendChild(el("td", q.issued_today + (q.quota_left != null ? "（余 " + q.quota_left + "）" : "")));
      tr.appendChild(el("td", q.wait.minutes == null ? "—" : "约 " + Math.round(q.wait.minutes) + " 分钟 · " + q.wait.basis_zh));
      body.appendChild(tr);
    });
    var line = $("line");
    line.replaceChildren();
    s.line.forEach(function (t) {
      var li = el("li", t.number + " · " + t.queue + " · 已等 " + t.waited_min + " 分钟" + (t.transferred ? " · 转入" : ""));
      if (t.priority !== "normal") { li.appendChild(el("span", " " + t.priority_zh, "prio")); }
      line.appendChild(li);
    });
    text($("line-total"), "共 " + s.line_total + " 人");
    enable(s);
  }

  function enable(s) {
    var cur = s.current, st = s.window.status;
    var allowed = {
      call_next: !cur && st !== "paused", call_number: !cur && st !== "paused",
      recall: !!cur && cur.state === "called", skip: !!cur && cur.state === "called",
      start: !!cur && cur.state === "called", finish: !!cur, transfer: !!cur,
      pause: !cur && st !== "paused", resume: st !== "open"
    };
    document.querySelectorAll(".ops button").forEach(function (b) {
      b.disabled = busy || !allowed[b.dataset.op];
    });
  }

  function poll() {
    clearTimeout(timer);
    fetch(stateUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.status === 401 || r.redirected) { window.location.reload(); return null; }
        return r.json();
      })
      .then(function (s) { if (s && s.window) { render(s); } })
      .catch(function () { say("与服务器的连接中断，正在重试… connection lost, retrying", false); })
      .then(function () { timer = setTimeout(poll, POLL_MS); });
  }

  function requestId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return "c-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function send(op, extra, attempt) {
    var body = Object.assign({ op: op, request_id: requestId() }, extra || {});
    busy = true;
    if (last) { enable(last); }
    var post = function (tries) {
      return fetch(opUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
        body: JSON.stringify(body)
      }).catch(function (err) {  // same request id: the backend does it at most once
        if (tries > 0) { return post(tries - 1); }
        throw err;
      });
    };
    return post(attempt == null ? 1 : attempt)
      .then(function (r) { return r.json(); })
      .then(function (reply) {
        if (reply.ok) {
          var number = reply.result && reply.result.ticket ? " " + reply.result.ticket : "";
          say(DONE[op] + number, true);
        } else {
          say((reply.error && (reply.error.message_zh || reply.error.message)) || "操作失败", false);
        }
        if (reply.state) { render(reply.state); }
      })
      .catch(function () { say("操作未送达，请重试 not sent, try again", false); })
      .then(function () { busy = false; if (last) { enable(last); } poll(); });
  }

  // -- the reason form (in the page, never window.prompt) ---------------------------------------
  var ask = $("ask");
  function openAsk(op) {
    var cfg = ASK[op];
    pending = op;
    text($("ask-title"), cfg.title);
    $("ask-number-field").hidden = !cfg.number;
    $("ask-target-field").hidden = !cfg.target;
    $("ask-number").value = "";
    $("ask-reason").value = "";
    $("ask-reason").required = !!cfg.reason;
    $("ask-number").required = !!cfg.number;
    text($("no-shows"), last && last.no_shows.length ? "今日过号：" + last.no_shows.join(" ") : "");
    var select = $("ask-target");
    select.replaceChildren();
    if (cfg.target && last) {
      last.targets.queues.forEach(function (q) { var o = el("option", "队列 " + q.label); o.value = "q:" + q.id; select.appendChild(o); });
      last.targets.windows.forEach(function (w) { var o = el("option", "窗口 " + w.label); o.value = "w:" + w.id; select.appendChild(o); });
    }
    var choices = $("ask-choices");
    choices.replaceChildren();
    cfg.choices.forEach(function (c) {
      var b = el("button", c);
      b.type = "button";
      b.addEventListener("click", function () { $("ask-reason").value = c; });
      choices.appendChild(b);
    });
    ask.hidden = false;
    (cfg.number ? $("ask-number") : cfg.target ? select : $("ask-reason")).focus();
  }
  function closeAsk() { ask.hidden = true; pending = null; }

  ask.addEventListener("submit", function (e) {
    e.preventDefault();
    var op = pending, extra = { reason: $("ask-reason").value.trim() };
    if (ASK[op].number) { extra.ticket = $("ask-number").value.trim().toUpperCase(); }
    if (ASK[op].target) {
      var v = $("ask-target").value;
      if (v.indexOf("q:") === 0) { extra.to_queue = v.slice(2); } else { extra.to_window = v.slice(2); }
    }
    if (ASK[op].reason && !extra.reason) { say("请填写原因 a reason is required", false); return; }
    closeAsk();
    send(op, extra);
  });
  $("ask-cancel").addEventListener("click", closeAsk);

  function trigger(op) {
    var button = document.querySelector('.ops button[data-op="' + op + '"]');
    if (!button || button.disabled) { return; }
    if (ASK[op]) { openAsk(op); } else { send(op); }
  }

  document.querySelectorAll(".ops button").forEach(function (b) {
    b.addEventListener("click", function () { trigger(b.dataset.op); });
  });

  var KEYS = { n: "call_next", r: "recall", b: "start", f: "finish", s: "skip", c: "call_number", t: "transfer" };
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { closeAsk(); return; }
    if (e.ctrlKey || e.altKey || e.metaKey || !ask.hidden) { return; }
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") { return; }
    var key = e.key.toLowerCase();
    var op = KEYS[key];
    if (key === "p" && last) { op = last.window.status === "open" ? "pause" : "resume"; }
    if (op) { e.preventDefault(); trigger(op); }
  });

  poll();
})();
