// The unspin page. Plain JavaScript, no build step.
// Safety rule: user text reaches the DOM only through textContent / createTextNode, never innerHTML,
// so "<script>", "\"onmouseover=" or "</textarea>" in a text is shown as text and never run.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const state = { health: null, report: null, text: "", diff: false };

  // el("mark", {class: "x", tabindex: "0"}, "child text", otherNode): attributes and text are set
  // through the DOM API, which never parses markup.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined && v !== false) node.setAttribute(k, String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function say(text, isError) {
    const m = $("message");
    m.textContent = text;
    m.classList.toggle("error", Boolean(isError));
  }

  const pct = (x) => `${Math.round(x * 100)}%`;
  const confClass = (c) => (c >= 0.8 ? "conf-high" : c >= 0.5 ? "conf-mid" : "conf-low");
  const confWord = (c) => (c >= 0.8 ? "high" : c >= 0.5 ? "medium" : "low");

  async function api(path, body) {
    let res;
    try {
      res = await fetch(path, {
        method: body === undefined ? "GET" : "POST",
        headers: body === undefined ? {} : { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new Error("The server cannot be reached.");
    }
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    if (!res.ok) {
      const msg = data && data.error ? `${data.error}: ${data.detail || ""}` : `HTTP ${res.status}`;
      throw new Error(msg);
    }
    return data;
  }

  // ---- the annotated text: every span a focusable <mark> with its own tooltip -----------------
  function renderAnnotated(text, spans) {
    const box = $("annotated");
    clear(box);
    let pos = 0;
    spans.forEach((s, i) => {
      if (s.start > pos) box.append(document.createTextNode(text.slice(pos, s.start)));
      const tipId = `tip-${i}`;
      const flagOnly = Boolean(s.evidence && s.evidence.flag_only);
      const guess = flagOnly && s.evidence.guess ? s.evidence.guess : null;
      const tip = flagOnly
        ? el("span", { class: "tip", role: "tooltip", id: tipId },
          el("span", { class: "tip-label" }, "likely spun, original unknown"),
          guess ? el("span", { class: "tip-guess" }, ` (guess: ${guess})`) : "",
          el("span", { class: "tip-conf" }, ` · ${confWord(s.confidence)} confidence (${pct(s.confidence)})`))
        : el("span", { class: "tip", role: "tooltip", id: tipId },
          el("span", { class: "tip-label" }, "original: "),
          el("strong", { class: "tip-original" }, s.original),
          el("span", { class: "tip-conf" }, ` · ${confWord(s.confidence)} confidence (${pct(s.confidence)})`));
      const mark = el("mark", {
        class: `span ${flagOnly ? "flag-only" : confClass(s.confidence)}`, tabindex: "0", "aria-describedby": tipId,
        "data-original": s.original, "data-start": s.start, "data-end": s.end,
      }, text.slice(s.start, s.end));
      box.append(el("span", { class: "sp" }, mark, tip));
      pos = s.end;
    });
    if (pos < text.length) box.append(document.createTextNode(text.slice(pos)));
  }

  // ---- the restored text as a word diff. `restored` is the text with each span replaced by its
  // original and nothing else changed, so the spans are exactly the diff.
  function renderDiff(text, spans) {
    const box = $("diff");
    clear(box);
    let pos = 0;
    for (const s of spans) {
      if (s.original === text.slice(s.start, s.end)) continue;  // flagged only: nothing restored
      if (s.start > pos) box.append(document.createTextNode(text.slice(pos, s.start)));
      box.append(el("del", {}, el("span", { class: "sr-only" }, "removed: "), text.slice(s.start, s.end)));
      box.append(el("ins", {}, el("span", { class: "sr-only" }, "restored: "), s.original));
      pos = s.end;
    }
    if (pos < text.length) box.append(document.createTextNode(text.slice(pos)));
  }

  function setDiff(on) {
    state.diff = on;
    const btn = $("diff-toggle");
    btn.setAttribute("aria-pressed", on ? "true" : "false");
    btn.textContent = on ? "Show highlighted text" : "Show restored text as a diff";
    $("diff").hidden = !on;
    $("annotated").hidden = on;
    $("spans-hint").hidden = on;
  }

  function renderReport(text, report) {
    state.report = report;
    $("result").hidden = false;
    $("score").textContent = pct(report.score);
    const verdict = $("verdict");
    verdict.textContent = report.spun ? "Likely spun" : "No clear sign of spinning";
    verdict.className = `verdict ${report.spun ? "spun" : "clean"}`;
    const n = report.spans.length;
    $("nspans").textContent = n === 0 ? "No words flagged" : `${n} ${n === 1 ? "word or phrase" : "words or phrases"} flagged`;
    const warnings = $("warnings");
    clear(warnings);
    for (const w of report.warnings || []) warnings.append(el("li", {}, w));
    renderAnnotated(text, report.spans);
    renderDiff(text, report.spans);
    setDiff(state.diff);
  }

  // ---- archive matches ------------------------------------------------------------------------
  function safeUrl(u) {
    try {
      const url = new URL(String(u));
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  // One aligned passage: the query side with the swapped words marked, beside the archived source.
  function renderPassage(text, p, subs) {
    const q = el("blockquote", { class: "passage" }, el("span", { class: "side" }, "Your text"));
    let pos = p.query_start;
    const inside = subs.filter((s) => s.query_start >= p.query_start && s.query_end <= p.query_end)
      .sort((a, b) => a.query_start - b.query_start);
    for (const s of inside) {
      if (s.query_start < pos) continue;
      q.append(document.createTextNode(text.slice(pos, s.query_start)));
      q.append(el("del", {}, el("span", { class: "sr-only" }, "swapped: "), text.slice(s.query_start, s.query_end)));
      if (s.source_text) q.append(el("ins", {}, el("span", { class: "sr-only" }, "archive has: "), s.source_text));
      pos = s.query_end;
    }
    q.append(document.createTextNode(text.slice(pos, p.query_end)));
    const pair = el("div", { class: "pair" }, q);
    if (typeof p.source_text === "string") {
      pair.append(el("blockquote", { class: "passage source" }, el("span", { class: "side" }, "Archive"), p.source_text));
    }
    return el("li", {}, pair);
  }

  function renderMatches(text, matches) {
    const list = $("match-list");
    clear(list);
    $("matches").hidden = false;
    $("matches-empty").hidden = matches.length > 0;
    for (const m of matches) {
      const meta = m.metadata || {};
      const head = el("p", { class: "match-head" },
        el("strong", {}, String(m.id)),
        ` · score ${Number(m.score).toFixed(2)} · coverage ${pct(Number(m.coverage) || 0)}`);
      const li = el("li", { class: "match" }, head);
      const title = meta.title || meta.headline;
      if (title) li.append(el("p", {}, String(title)));
      const url = meta.url && safeUrl(meta.url);
      if (url) li.append(el("p", {}, el("a", { href: url, rel: "noopener noreferrer" }, url)));
      const passages = (m.passages || []).slice(0, 5);
      if (passages.length) {
        li.append(el("p", { class: "hint" },
          "Aligned passages: struck-through words in your text differ from the archive, which has the underlined ones."));
        li.append(el("ol", { class: "passages" }, ...passages.map((p) => renderPassage(text, p, m.substitutions || []))));
      }
      list.append(li);
    }
  }

  // ---- actions --------------------------------------------------------------------------------
  async function runCheck() {
    const text = $("text").value;
    if (!text.trim()) {
      say("Paste or drop a text first.", true);
      $("text").focus();
      return;
    }
    const limit = state.health && state.health.limits.max_chars;
    if (limit && text.length > limit) {
      say(`The text has ${text.length.toLocaleString()} characters; this server accepts at most ${limit.toLocaleString()}.`, true);
      return;
    }
    const btn = $("check-btn");
    btn.disabled = true;
    $("result").setAttribute("aria-busy", "true");
    say("Checking…");
    try {
      const report = await api("/api/check", { text });
      state.text = text;
      renderReport(text, report);
      say(`Checked: spin score ${pct(report.score)}, ${report.spans.length} flagged.`);
      if (state.health && state.health.index) {
        try {
          const res = await api("/api/trace", { text, k: 5 });
          renderMatches(text, res.matches);
        } catch (e) {
          say(`Checked, but tracing failed: ${e.message}`, true);
        }
      }
      $("result-h").focus();
    } catch (e) {
      say(e.message, true);
    } finally {
      btn.disabled = false;
      $("result").removeAttribute("aria-busy");
    }
  }

  async function loadFile(file) {
    if (!file) return;
    if (!/\.txt$/i.test(file.name) && file.type !== "text/plain") {
      say(`${file.name} is not a .txt file.`, true);
      return;
    }
    const maxBody = state.health ? state.health.limits.max_body : 1000000;
    if (file.size > maxBody) {
      say(`${file.name} is ${file.size.toLocaleString()} bytes; this server accepts at most ${maxBody.toLocaleString()}.`, true);
      return;
    }
    $("text").value = await file.text();
    updateCount();
    say(`Loaded ${file.name}.`);
    runCheck();
  }

  function updateCount() {
    const t = $("text").value;
    const words = (t.match(/\S+/g) || []).length;
    $("count").textContent = t ? `${words.toLocaleString()} words` : "";
  }

  function init() {
    $("check-form").addEventListener("submit", (e) => {
      e.preventDefault();
      runCheck();
    });
    $("text").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        runCheck();
      }
    });
    $("text").addEventListener("input", updateCount);
    $("file").addEventListener("change", (e) => loadFile(e.target.files[0]));
    $("diff-toggle").addEventListener("click", () => setDiff(!state.diff));

    const drop = $("drop");
    drop.addEventListener("dragover", (e) => {
      e.preventDefault();
      drop.classList.add("over");
    });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      if (e.dataTransfer && e.dataTransfer.files.length) loadFile(e.dataTransfer.files[0]);
    });

    // Keep a shown tooltip inside the window (spans near the right edge, narrow phones).
    const placeTip = (e) => {
      const sp = e.target.closest && e.target.closest(".sp");
      const tip = sp && sp.querySelector(".tip");
      if (!tip) return;
      tip.style.left = "0px";
      const over = tip.getBoundingClientRect().right - (document.documentElement.clientWidth - 8);
      if (over > 0) tip.style.left = `${-over}px`;
    };
    document.addEventListener("mouseover", placeTip);
    document.addEventListener("focusin", placeTip);

    // Escape hides the tooltip of the focused or hovered span (WCAG 1.4.13: dismissable).
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") document.body.classList.add("tips-off");
    });
    document.addEventListener("focusin", () => document.body.classList.remove("tips-off"));
    document.addEventListener("mouseover", (e) => {
      if (e.target.closest && e.target.closest(".sp")) document.body.classList.remove("tips-off");
    });

    api("/api/health").then((h) => {
      state.health = h;
      $("server").textContent = `model ${h.model} · ${h.index ? "archive index on" : "no archive index"} · v${h.version}`;
    }).catch((e) => say(e.message, true));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
