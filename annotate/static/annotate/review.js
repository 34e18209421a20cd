// The review page: read a sentence, see the suggestion, fix it with a key or two, move on.
// Every change is saved through the REST API at once; the row says "✓ saved" or why not.
// Text is only ever inserted with textContent, never as HTML.

const data = JSON.parse(document.getElementById("review-data").textContent);
const text = data.document.text;
const labelByValue = Object.fromEntries(data.labels.map((label) => [label.value, label]));
const speakers = data.speakers.slice();
const LOW_CONFIDENCE = 0.5;
const ROLE_PRIORITY = ["speaker", "cue", "claim"];

const listEl = document.getElementById("sentences");
const panelEl = document.getElementById("panel");
const progressEl = document.getElementById("progress");
const orderToggle = document.getElementById("order-by-confidence");
const disagreementToggle = document.getElementById("only-disagreements");
const adjudicating = data.mode === "adjudicate";

const editable = (claims) => claims.map((c) => ({ ...c, speaker_name: null }));

// ---------- offsets ----------
// The server counts offsets in code points (Python str indexes); JavaScript strings, and so
// text.slice, data-offset and selections, count UTF-16 code units, in which a character
// outside the BMP (an emoji) takes two. The page works in UTF-16 units throughout: spans
// are converted where they come from the server (toUnits) and where they go back (toPoints).
// A text without such characters counts the same both ways and is left as it is.
const astral = text.length !== Array.from(text).length;
const unitOf = []; // code point offset -> UTF-16 offset, the end of the text included
const pointOf = []; // UTF-16 offset -> code point offset
if (astral) {
  const chars = Array.from(text); // by code point
  let unit = 0;
  chars.forEach((char, point) => {
    unitOf[point] = unit;
    // Both halves of a pair map to its character, so an offset between them still converts.
    for (let k = 0; k < char.length; k += 1) pointOf[unit + k] = point;
    unit += char.length;
  });
  unitOf[chars.length] = text.length;
  pointOf[text.length] = chars.length;
}
// A span whose end falls between the two halves of a pair takes the whole character: its start is
// rounded down and its end up (rounded down, half an emoji selected gave an empty span that could
// never be saved).
const endPoint = (unit) => (unitOf[pointOf[unit]] === unit ? pointOf[unit] : pointOf[unit] + 1);
const toUnits = (span) => (span && astral ? [unitOf[span[0]], unitOf[span[1]]] : span);
const toPoints = (span) => (span && astral ? [pointOf[span[0]], endPoint(span[1])] : span);
// The same on the page's own offsets, for a selection: the panel and a new speaker's name never
// hold half a character.
const wholeChars = (span) => toUnits(toPoints(span));
// Claims, and suggestions, carry their spans as speaker, cue and claim.
const convertClaims = (claims, convert) => claims.map((c) => ({
  ...c, speaker: convert(c.speaker), cue: convert(c.cue), claim: convert(c.claim),
}));
// A stored version (own, gold, another annotator's, or theirs in a conflict); null stays null.
const annotationInUnits = (a) => (a && { ...a, claims: convertClaims(a.claims, toUnits) });
function sentenceInUnits(row) {
  const [start, end] = toUnits([row.start, row.end]);
  return {
    ...row, start, end,
    suggestions: convertClaims(row.suggestions, toUnits),
    annotation: annotationInUnits(row.annotation),
    work: (row.work || []).map(annotationInUnits),
  };
}

// Adjudicating without a gold version yet, the page starts from the first annotator's version
// that is a decision (a skip is not one): its index in row.work, else -1.
function startingWork(row, annotation) {
  if (!adjudicating || (annotation && annotation.status !== "skipped")) return -1;
  return (row.work || []).findIndex((w) => w.status !== "skipped");
}

// Whose version an untouched sentence shows when it is an annotator's, not the machine's.
function startingAuthor(row, annotation) {
  const k = startingWork(row, annotation);
  return k >= 0 ? row.work[k].annotator : null;
}

function startingClaims(row, annotation) {
  // A skipped sentence is stored without claims: it comes back showing where it started. Work
  // saved toward an earlier target comes back without its stances, to be given again toward
  // today's (saved as they were, they would be stamped with the new target).
  if (annotation && annotation.status !== "skipped") return draftOfVersion(annotation);
  const k = startingWork(row, annotation);
  if (k >= 0) return draftOfVersion(row.work[k]);
  return row.suggestions.map((s) => ({
    speaker: s.speaker, cue: s.cue, claim: s.claim, stance: s.stance,
    speaker_id: s.speaker_id, speaker_name: null, suggestion_id: s.id,
  }));
}

// The weakest of a sentence's suggestions in one confidence: "attribution" (who said what: the
// claim, and the speaker and cue when there are any) or "stance". Kept apart because the rules'
// stance falls back to "neutral" at 0.25 on most sentences: mixed in, it flagged nearly every
// sentence and hid the doubtful attributions among them.
const weakest = (row, field) => (row.suggestions.length ? Math.min(...row.suggestions.map((s) => s.confidence[field])) : 1);

// A suggested stance the page does not offer, shown without it and saying why: one made before
// its label was retired (the label takes no new claims: Enter would be refused), or toward an
// earlier stance target, kept on a sentence someone worked on before the target changed (QA25:
// Enter saved it as the stance toward today's). The row keeps the label it was.
// Whether a stance given toward `target` answers another question than today's target.
const towardEarlierTarget = (target) => target !== undefined && target !== data.document.target;
const stanceWithheld = (x) => Boolean(x.stance) && (labelByValue[x.stance]?.retired || towardEarlierTarget(x.stance_target));
const withoutWithheldStance = (x) => (stanceWithheld(x) ? { ...x, stance: null, withheldStance: x.stance } : x);
// Stances a person gave toward an earlier target answer another question: a draft started from
// their version keeps its spans and speakers, not its stances.
const givenTowardEarlierTarget = (work) => towardEarlierTarget(work.stance_target);
const draftOfVersion = (work) => (givenTowardEarlierTarget(work)
  ? editable(work.claims).map((c) => ({ ...c, stance: null })) : editable(work.claims));
// The suggestion as the machine made it, its retired stance included (the machine's line).
const asSuggested = (x) => (x.withheldStance ? { ...x, stance: x.withheldStance } : x);

// The page's draft of a stored version (none: the suggestion, or the annotator's version an
// adjudication starts from).
const draftFor = (row, annotation) => ({
  status: annotation ? annotation.status : null,
  claims: startingClaims(row, annotation),
  from: startingAuthor(row, annotation),
});
const withheldText = (suggestion) => (labelByValue[suggestion.withheldStance].retired
  ? `suggested “${labelByValue[suggestion.withheldStance].name}”, since retired`
  : `suggested “${labelByValue[suggestion.withheldStance].name}” toward the earlier target “${suggestion.stance_target || "none"}”`);

const sentences = data.sentences.map(sentenceInUnits).map((row) => ({
  ...row, suggestions: row.suggestions.map(withoutWithheldStance),
})).map((row) => ({
  ...row,
  draft: draftFor(row, row.annotation),
  comments: row.comments || [],
  disagreement: row.disagreement || [],
  taken: startingWork(row, row.annotation), // the version shown or last taken: t goes on from the next one
  // Own stances given toward an earlier target, said on the panel until the sentence is changed.
  earlierTarget: row.annotation && row.annotation.status !== "skipped" && givenTowardEarlierTarget(row.annotation)
    && row.annotation.claims.some((c) => c.stance) ? row.annotation.stance_target || "none" : null,
  events: null,
  version: row.annotation ? row.annotation.version : null,
  saveState: row.annotation ? "saved" : "suggested",
  message: "",
  activeClaim: 0,
  queue: Promise.resolve(),
  pending: 0, // saves queued or in flight
  confidence: weakest(row, "attribution"),
}));

let order = [];
const isFlagged = (s) => s.comments.some((c) => !c.resolved);
function computeOrder() {
  order = sentences.map((_, i) => i);
  if (disagreementToggle && disagreementToggle.checked) {
    order = order.filter((i) => sentences[i].disagreement.length || isFlagged(sentences[i]));
  }
  if (orderToggle.checked) {
    // The stance's figure is read afresh: an open page takes in the project's record of each rule.
    order.sort((a, b) => sentences[a].confidence - sentences[b].confidence
      || weakest(sentences[a], "stance") - weakest(sentences[b], "stance") || a - b);
  }
  // Reviewers see flagged sentences first.
  if (adjudicating) order.sort((a, b) => Number(isFlagged(sentences[b])) - Number(isFlagged(sentences[a])));
}
// The rows the disagreement filter leaves out are hidden (j / k pass them over too), and how many
// it shows is said beside it. The current sentence always shows, even one z went back to.
const filterCountEl = document.getElementById("filter-count");
let filteredOut = new Set();
// The row a click moved away from stays shown until the next move: hidden at once, the rows
// below would shift under the pointer before a double click's second click (QA16).
let clickedAway = null;
const isHiddenRow = (i) => filteredOut.has(i) && i !== current && i !== clickedAway;
function hideFilteredOut() {
  const kept = new Set(order);
  filteredOut = new Set(sentences.map((_, i) => i).filter((i) => !kept.has(i)));
  [...listEl.children].forEach((li, i) => { li.hidden = isHiddenRow(i); });
  if (filterCountEl) filterCountEl.textContent = filteredOut.size ? `${order.length} of ${sentences.length} sentences disagree or are flagged` : "";
}
computeOrder();
hideFilteredOut();
let current = firstUnfinished();

function firstUnfinished() {
  const next = order.find((i) => !sentences[i].draft.status || sentences[i].draft.status === "skipped");
  return next === undefined ? order[0] ?? 0 : next;
}

// ---------- helpers ----------

const clone = (value) => JSON.parse(JSON.stringify(value));
const snippet = (span, max = 140) => {
  if (!span) return "—";
  const value = text.slice(span[0], span[1]);
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
};
// A claim in quotation marks of its own is shown as it is, not quoted again (“"This bridge…"”);
// a quotation mark at one end only, with no other in the claim (`No more!"`, the claim ending
// where the quotation does), is left out, and the claim is quoted (QA19).
const QUOTE_MARKS = new Set(['"', "“", "”", "«", "»"]);  // not ‘ ’: also apostrophes (“Pakistan’s”)
const quoted = (span, max) => {
  const value = snippet(span, max);
  const [opens, closes] = [QUOTE_MARKS.has(value[0]), QUOTE_MARKS.has(value[value.length - 1])];
  if (opens && closes && value.length > 1) return value;
  const marks = [...value].filter((c) => QUOTE_MARKS.has(c)).length;
  const bare = marks === 1 && opens ? value.slice(1) : marks === 1 && closes ? value.slice(0, -1) : value;
  return `“${bare}”`;
};
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
function trimSpan(start, end) {
  while (start < end && /\s/.test(text[start])) start += 1;
  while (end > start && /\s/.test(text[end - 1])) end -= 1;
  return start < end ? [start, end] : null;
}
function sentenceSpan(s) {
  return trimSpan(s.start, s.end) || [s.start, s.end];
}
function claimsShown(s) {
  // Skipped keeps its claims on the page: the sentence comes back later to be accepted or fixed.
  return s.draft.status === "no_claim" ? [] : s.draft.claims;
}

// ---------- rendering ----------

// Whether a span ([start, end] in the page's units, or null) reaches into a sentence's row.
const overlaps = (span, row) => Boolean(span) && span[0] < row.end && span[1] > row.start;

function marksFor(rowIndex) {
  // Every role span that falls in this row: its own claims, plus claims of other
  // sentences that reach into it (multi-sentence claims, speakers in the previous sentence).
  const row = sentences[rowIndex];
  const marks = [];
  sentences.forEach((s, i) => {
    claimsShown(s).forEach((claim, c) => {
      for (const role of ROLE_PRIORITY) {
        const span = claim[role];
        if (overlaps(span, row)) {
          marks.push({ role, start: Math.max(span[0], row.start), end: Math.min(span[1], row.end),
            active: i === current && c === s.activeClaim });
        }
      }
    });
  });
  return marks;
}

function renderText(rowIndex) {
  const row = sentences[rowIndex];
  const marks = marksFor(rowIndex);
  const cuts = new Set([row.start, row.end]);
  marks.forEach((m) => { cuts.add(m.start); cuts.add(m.end); });
  const points = [...cuts].sort((a, b) => a - b);
  // dir="auto": a right-to-left sentence (Arabic, Hebrew) is laid out as one, its final full
  // stop on its left; the row's number and badges keep the page's direction.
  const container = el("span", { class: "text", dir: "auto" });
  for (let k = 0; k < points.length - 1; k += 1) {
    const [a, b] = [points[k], points[k + 1]];
    const covering = marks.filter((m) => m.start <= a && m.end >= b);
    const role = ROLE_PRIORITY.find((r) => covering.some((m) => m.role === r));
    const classes = role ? [`hl-${role}`] : [];
    if (covering.some((m) => m.active && m.role === role)) classes.push("active");
    container.append(el("span", { class: classes.join(" "), dataset: { offset: a } }, text.slice(a, b)));
  }
  return container;
}

const STATUS_NAMES = { accepted: "accepted", corrected: "corrected", no_claim: "no claim", skipped: "skipped" };
function statusText(s) {
  if (STATUS_NAMES[s.draft.status]) return STATUS_NAMES[s.draft.status];
  // Adjudicating without gold, an annotator's version is on show: say whose, it is not the machine's.
  return s.draft.from ? `from ${s.draft.from}` : "suggested";
}
// Untouched and showing the machine's suggestion: only then are its confidences about what is shown.
const showsSuggestion = (s) => !s.draft.status && !s.draft.from;
// A label by name, saying so when it is retired: it shows only where work carries it.
const labelText = (label) => (label.retired ? `${label.name} (retired)` : label.name);
const stanceName = (value) => (value ? labelText(labelByValue[value] || { name: value }) : "no stance");

function saveText(s) {
  return {
    suggested: "", saving: "saving…", saved: "✓ saved", offline: "⚠ offline — will retry",
    "logged-out": "⚠ logged out — kept, saved once you log in again",
    "other-user": `⚠ kept — log in as ${data.user.username} to save`,
    error: `⚠ not saved: ${s.message}`, conflict: `⚠ ${savedFirst(s).short}`,
  }[s.saveState];
}

// Who saved the version that won: this very user on another page (the usual case for an
// annotator, whose version nobody else writes) or someone else (QA17: it always said someone else).
function savedFirst(s) {
  if (!s.theirs) return { short: "withdrawn meanwhile", long: "This work was withdrawn meanwhile", version: "Now" };
  return s.theirs.annotator === data.user.username
    ? { short: "you saved it first on another page", long: "You saved this sentence first on another page", version: "That version" }
    : { short: "someone else saved first", long: "Someone else saved this sentence first", version: "Their version" };
}

function renderRow(i) {
  const s = sentences[i];
  const claims = claimsShown(s);
  const first = claims[s.activeClaim] || claims[0];
  const label = first && first.stance ? labelByValue[first.stance] : null;
  const low = showsSuggestion(s) && s.confidence < LOW_CONFIDENCE;
  // The stance's own doubt shows on its badge, not in the flag, which is about the attribution.
  const suggested = showsSuggestion(s) && first ? s.suggestions.find((x) => x.id === first.suggestion_id) : null;
  const stanceConfidence = suggested && !suggested.withheldStance ? suggested.confidence.stance : null;
  const doubtful = stanceConfidence !== null && stanceConfidence < LOW_CONFIDENCE;
  const row = el(
    "li",
    {
      class: ["sentence", i === current ? "current" : "", low ? "low-confidence" : ""].join(" "),
      dataset: { index: s.index, id: s.id },
      "aria-current": i === current ? "true" : null,
      hidden: isHiddenRow(i),
      onclick: (event) => rowClick(event, i),
    },
    el("span", { class: "idx" }, s.index + 1),
    renderText(i),
    el("span", { class: "row-meta" },
      label ? el("span", {
        class: doubtful ? "badge doubtful" : "badge", style: `--label-color: ${label.color}`,
        title: stanceConfidence === null ? null : `stance confidence ${stanceConfidence.toFixed(2)}`,
      }, labelText(label)) : null,
      suggested && suggested.withheldStance ? el("span", {
        class: "badge doubtful", title: withheldText(suggested),
      }, "no stance") : null,
      // Named: beside the badge, a bare number read as the stance's confidence.
      first && s.suggestions.length && showsSuggestion(s)
        ? el("span", { class: "conf", title: "weakest attribution confidence of the suggestion (claim, speaker, cue; the stance's is on its badge)" }, `attribution ${s.confidence.toFixed(2)}`) : null,
      low ? el("span", { class: "flag" }, "⚑ low confidence") : null,
      el("span", { class: `status status-${s.draft.status || "suggested"}` }, statusText(s)),
      claims.length > 1 ? el("span", { class: "count" }, `${claims.length} claims`) : null,
      isFlagged(s) ? el("span", { class: "flag" }, "⚑ flagged") : null,
      s.disagreement.length ? el("span", { class: "disagree" }, `≠ ${s.disagreement.join(", ")}`) : null,
      el("span", { class: `save save-${s.saveState}`, role: "status" }, saveText(s)),
    ),
  );
  const old = listEl.children[i];
  if (old) old.replaceWith(row); else listEl.append(row);
}

// A click on a row makes it the current sentence at once, so that moving with the mouse stays
// snappy and a key pressed right after acts on the sentence clicked. A double or triple click
// selects text instead (a speaker may be taken from another sentence): its first click arrives
// with detail 1 and has already moved, so the click after it (detail 2) moves back to the
// sentence that was current before, keeping the selection. Waiting out the double-click
// interval before every move would make each plain click slow, and a key typed meanwhile would
// act on the sentence being left. A drag ends with a selection: it never moves.
let clickMove = null;  // the move the last single click made: { from, to }
function rowClick(event, i) {
  if (event.detail > 1) {
    if (clickMove && clickMove.to === current) keepingSelection(() => move(clickMove.from, false));
    clickMove = null;
    return;
  }
  clickMove = null;
  if (!window.getSelection().isCollapsed || i === current) return;
  clickMove = { from: current, to: i };
  // Not scrolled: the row is where it was clicked, and a second click must find the same word there.
  move(i, false, true);
  event.stopPropagation();
}

function renderAll() {
  listEl.replaceChildren();
  sentences.forEach((_, i) => renderRow(i));
  renderPanel();
  renderProgress();
}

function renderProgress() {
  const done = sentences.filter((s) => s.draft.status && s.draft.status !== "skipped" && s.saveState === "saved").length;
  progressEl.textContent = `${done}/${sentences.length} sentences done`;
}

// The arrow keys only move through the list: Enter saves the speaker shown, Esc (or leaving the
// list) puts back the stored one, and a mouse choice saves at once. Saving at every arrow stored
// each speaker passed over, and the panel drawn again took the focus: the next ↓ changed sentence.
function canonicalSelect(s, claim) {
  let stored;
  let typed = false;  // the first letters of a name, typed, change the choice in place: Enter saves it
  const choose = () => {
    const value = select.value;
    select.blur();  // back to the page's keys (the blur puts the stored value back for a moment)
    if (value === stored) return;
    stored = value;
    edit(s, () => {
      claim.speaker_id = stored ? Number(stored) : null;
      claim.speaker_name = null;
    });
  };
  const select = el("select", {
    "aria-label": "canonical speaker",
    // Opened with the mouse: the browser's list takes every key while it is open, and a choice
    // there saves. A key that reaches the picker itself comes after the list closed without a
    // choice (Esc, or a click beside it): that is the page's key again (UI.md: Esc "leaves it
    // as it was, returning to the keys"), never a letter that changes the speaker shown.
    onmousedown: () => { typed = false; select.dataset.byMouse = "true"; },
    onchange: () => { if (!typed) choose(); },
    // Left without saving: it shows the stored speaker again, and a next p starts from the keys.
    onblur: () => { select.value = stored; delete select.dataset.byMouse; },
    onkeydown: (event) => {
      if (select.dataset.byMouse) {
        // Tab still moves the focus on, and the browser keeps its own chords (Alt+↓ opens the list).
        if (event.key === "Tab" || event.ctrlKey || event.metaKey || event.altKey) return;
        event.preventDefault();
        select.blur();
        shortcut(event);
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();  // the browser's own would fire "change" (or open the list, on a Mac)
        const k = select.selectedIndex + (event.key === "ArrowDown" ? 1 : -1);
        select.selectedIndex = Math.min(Math.max(k, 0), select.options.length - 1);
      } else if (event.key === "Enter" || event.key === "Escape") {
        event.preventDefault();
        if (event.key === "Enter") choose(); else select.blur();
      } else {
        typed = event.key.length === 1 && event.key !== " ";  // Space opens the list: a choice there saves
      }
    },
  }, el("option", { value: "" }, claim.speaker_name ? `new: ${claim.speaker_name}` : "— none / the author —"));
  speakers.forEach((speaker) => {
    select.append(el("option", { value: speaker.id, selected: speaker.id === claim.speaker_id ? "selected" : null },
      `${speaker.name}${speaker.kind === "anonymous" ? " (anonymous source)" : ""}`));
  });
  // A speaker the fetched list no longer has was merged elsewhere: the claim is not the
  // author's, and its save goes where the merge went (then shown by name).
  if (claim.speaker_id && !speakers.some((speaker) => speaker.id === claim.speaker_id)) {
    select.append(el("option", { value: claim.speaker_id, selected: "selected" }, "(merged elsewhere: saving shows into whom)"));
  }
  stored = select.value;
  return select;
}

function keyButton(key, label, action) {
  // mousedown is cancelled so a click keeps the text selection the action reads.
  return el("button", { type: "button", onmousedown: (e) => e.preventDefault(), onclick: action }, el("kbd", {}, key), ` ${label}`);
}

function renderPanel() {
  const s = sentences[current];
  if (!s) { panelEl.replaceChildren(el("p", {}, "This document has no sentences.")); return; }
  const claims = claimsShown(s);
  const children = [el("h2", {}, `Sentence ${s.index + 1} — ${statusText(s)}`)];
  if (s.saveState === "conflict") {
    children.push(el("div", { class: "conflict" },
      el("p", {}, `${savedFirst(s).long}. ${savedFirst(s).version}: `,
        el("strong", {}, s.theirs ? STATUS_NAMES[s.theirs.status] : "withdrawn (suggested again)"),
        s.theirs && s.theirs.claims.length ? "; yours is below." : ""),
      s.theirs && s.theirs.claims.length ? renderTheirClaims(s.theirs.claims) : null,
      el("button", { type: "button", onclick: () => useTheirs(s) }, "Use theirs"),
      el("button", { type: "button", onclick: () => retryMine(s) }, "Keep mine and save again")));
  } else if (s.saveState === "error" || s.saveState === "offline") {
    children.push(el("p", { class: "error" }, saveText(s)));
  }
  if (!claims.length) {
    // A claim drawn here may belong to another sentence, filed with its cue there ("X. This was
    // the message given by Y."): say so, rather than "No claim suggested" under a highlight (QA18).
    const holder = sentences.find((o) => o !== s && claimsShown(o).some((c) => overlaps(c.claim, s)));
    const filed = holder ? `The claim over it is filed with sentence ${holder.index + 1}, where its cue is.` : "";
    const own = s.draft.status ? `Marked ${statusText(s)}.` : holder ? "No claim of its own." : "No claim suggested.";
    children.push(el("p", { class: "muted", id: "no-claim-note" }, filed ? `${own} ${filed}` : own));
  }
  claims.forEach((claim, c) => {
    // An annotator's untouched version is theirs, even where it started from the suggestion.
    const suggestion = s.draft.from && !s.draft.status ? null : s.suggestions.find((x) => x.id === claim.suggestion_id);
    // A field the suggestion does not have (no speaker or cue: the author's own claim) has no confidence to show.
    // ... nor does a field a person changed: the machine's figure was about its own value (QA11).
    const kept = (field) => (field === "stance" ? claim.stance === suggestion.stance : sameSpan(claim[field], suggestion[field]));
    const conf = (field) => (suggestion && suggestion[field] && kept(field)
      ? el("span", { class: "conf" }, `conf ${suggestion.confidence[field].toFixed(2)}`) : null);
    const speakerWhere = claim.speaker && (claim.speaker[0] < s.start || claim.speaker[1] > s.end)
      ? ` (in sentence ${1 + sentences.findIndex((x) => claim.speaker[0] >= x.start && claim.speaker[0] < x.end)})` : "";
    children.push(el("div", { class: `claim ${c === s.activeClaim ? "active" : ""}`, dataset: { claim: c } },
      claims.length > 1 ? el("p", { class: "claim-title" }, `Claim ${c + 1} of ${claims.length}${c === s.activeClaim ? " (current, Tab switches)" : ""}`) : null,
      el("div", { class: "field" }, el("span", { class: "name hl-speaker" }, "speaker"),
        el("span", { class: "value", dir: "auto", dataset: { field: "speaker" } }, claim.speaker ? snippet(claim.speaker) + speakerWhere : "the author (unattributed)"),
        conf("speaker"), canonicalSelect(s, claim)),
      el("div", { class: "field" }, el("span", { class: "name hl-cue" }, "cue"),
        el("span", { class: "value", dir: "auto", dataset: { field: "cue" } }, snippet(claim.cue)), conf("cue")),
      el("div", { class: "field" }, el("span", { class: "name hl-claim" }, "claim"),
        el("span", { class: "value", dir: "auto", dataset: { field: "claim" } }, snippet(claim.claim, 220)), conf("claim")),
      el("div", { class: "field stances" }, el("span", { class: "name" }, "stance"),
        // A retired label is on show only where it is the claim's stance, and is no choice: no key, no click.
        ...data.labels.filter((label) => !label.retired || label.value === claim.stance).map((label) => el("button", {
          type: "button", class: `stance ${claim.stance === label.value ? "chosen" : ""}`,
          style: `--label-color: ${label.color}`, "aria-pressed": claim.stance === label.value ? "true" : "false",
          disabled: label.retired, onclick: () => setStance(label.key),
        }, label.retired ? labelText(label) : [el("kbd", {}, label.key), ` ${label.name}`])),
        suggestion && suggestion.withheldStance ? el("span", { class: "conf" }, withheldText(suggestion)) : conf("stance"),
        // Its withheld stance is said once, beside it, not again in the model line (QA19).
        suggestion ? el("span", { class: "model" }, suggestedBy(suggestion, kept("stance") || Boolean(suggestion.withheldStance))) : null),
    ));
  });
  if (s.earlierTarget) {
    children.push(el("p", { class: "earlier-target" }, `Your stances here were given toward the earlier target `
      + `“${s.earlierTarget}”: give them again toward “${data.document.target}”.`));
  }
  if (adjudicating || s.work.length) children.push(renderWork(s));
  children.push(renderComments(s));
  if (s.events) children.push(renderHistory(s));
  children.push(el("div", { class: "actions" },
    keyButton("Enter", "accept", accept), keyButton("s", "speaker", () => setSpan("speaker")),
    keyButton("u", "cue", () => setSpan("cue")), keyButton("c", "claim", () => setSpan("claim")),
    keyButton("n", "no claim", noClaim), keyButton("a", "add claim", addClaim), keyButton("d", "delete claim", deleteClaim),
    keyButton("x", "skip", skip), keyButton("z", "undo", undo), keyButton("f", "flag", startComment),
    keyButton("h", "history", toggleHistory), adjudicating ? keyButton("t", "take next version", takeNext) : null,
    keyButton("?", "all keys", showHelp)));
  if (s.panelMessage) children.push(el("p", { class: "hint" }, s.panelMessage));
  // Drawn again while someone is in the speaker picker (a save landing, a retry, a fresh list),
  // the new picker takes over the focus and the option reached: else Enter would accept the
  // sentence instead of saving that speaker.
  const picker = document.activeElement && document.activeElement.matches("#panel .claim select") ? document.activeElement : null;
  const picking = picker ? { claim: picker.closest(".claim").dataset.claim, value: picker.value, byMouse: picker.dataset.byMouse } : null;
  panelEl.replaceChildren(...children);
  const again = picking && panelEl.querySelector(`.claim[data-claim="${picking.claim}"] select`);
  if (again) {
    if ([...again.options].some((option) => option.value === picking.value)) again.value = picking.value;
    again.focus();
    if (picking.byMouse) again.dataset.byMouse = picking.byMouse;  // its keys stay the page's
  }
}

// Their saved claims field by field, so the choice between theirs and yours is an informed one.
function renderTheirClaims(claims) {
  return el("ol", { class: "their-claims" }, claims.map((c) => {
    const mention = c.speaker ? snippet(c.speaker, 60) : "the author";
    const canonical = speakers.find((x) => x.id === c.speaker_id);
    return el("li", {},
      el("span", { class: "hl-speaker" }, "speaker"), ` ${mention}`,
      canonical && speakerKey(canonical.name) !== speakerKey(mention) ? ` (${canonical.name})` : "", " · ",
      el("span", { class: "hl-cue" }, "cue"), ` ${snippet(c.cue, 60)} · `,
      el("span", { class: "hl-claim" }, "claim"), ` ${quoted(c.claim)} · stance `, el("strong", {}, stanceName(c.stance)));
  }));
}

function describeClaims(claims) {
  if (!claims.length) return "no claim";
  return claims.map((c) => {
    const who = c.speaker ? snippet(c.speaker, 40) : "author";
    return `${who} → ${quoted(c.claim, 60)} [${stanceName(c.stance)}]`;
  }).join("; ");
}

// Who made a suggestion; for one of the stance rules, which rule and how often this project's
// people have kept what it suggests (the figure its confidence now rests on).
// Who suggested the stance, and why; once a person chose another, also what it was.
function suggestedBy(suggestion, kept = true) {
  // The stance as the machine gave it, a retired one included (`asSuggested`), not as the page offers it.
  const what = kept ? "suggested" : `suggested ${stanceName(asSuggested(suggestion).stance)}`;
  const rule = suggestion.stance_model === data.stance_rules_model ? data.stance_rules[suggestion.stance_rule] : null;
  if (!rule) return `${what} by ${suggestion.stance_model || suggestion.model}`;
  // No record in a blind project: how often others kept it is part of their work.
  const record = rule.reviewed === undefined ? ""
    : rule.reviewed ? ` (kept ${rule.kept} of ${rule.reviewed} times here)` : " (not yet reviewed here)";
  return `${what} by ${suggestion.stance_model}: ${rule.description}${record}`;
}

function sameSpan(a, b) {
  return (!a && !b) || (Boolean(a) && Boolean(b) && a[0] === b[0] && a[1] === b[1]);
}

function renderWork(s) {
  const box = el("div", { class: "work" }, el("h3", {}, adjudicating ? "Annotators' versions" : "Other annotators' versions"));
  if (s.disagreement.length) box.append(el("p", { class: "disagree" }, `Disagree on: ${s.disagreement.join(", ")}`));
  if (!s.work.length) box.append(el("p", { class: "muted" }, "Nobody has annotated this sentence yet."));
  s.work.forEach((w, k) => {
    box.append(el("div", { class: "version" },
      el("strong", {}, `${w.annotator}: `), `${w.status.replace("_", " ")} — ${describeClaims(w.status === "no_claim" || w.status === "skipped" ? [] : w.claims)} `,
      // Saved before the target changed: its stances answer another question (taken, they are
      // saved toward today's target as they are).
      givenTowardEarlierTarget(w) && w.claims.some((c) => c.stance)
        ? el("span", { class: "earlier-target" }, `(stances given toward the earlier target “${w.stance_target || "none"}”, not taken with it) `) : null,
      // A skip is not a decision: there is nothing in it to take as gold. Only gold takes a version:
      // an annotator sees the others' read-only (README), or their work would not be their own.
      w.status === "skipped" || !adjudicating ? null : el("button", { type: "button", onclick: () => takeVersion(s, k) }, "Take")));
  });
  // Which rule made the machine's stance, and how it has fared: the reviewer weighs it here,
  // where the panel shows an annotator's version and so no suggestion of its own.
  const ruled = s.suggestions.find((x) => x.stance_rule);
  box.append(el("div", { class: "version muted" }, el("strong", {}, "machine: "), describeClaims(s.suggestions.map(asSuggested)),
    ruled ? el("span", { class: "model" }, ` — ${suggestedBy(ruled)}`) : null));
  return box;
}

function takeVersion(s, k) {
  const w = s.work[k];
  if (!w) return;
  edit(s, () => {
    s.taken = k;  // inside the change, so that the undo step keeps the version taken before it
    s.draft.claims = draftOfVersion(w);
    s.activeClaim = 0;
  }, w.status === "no_claim" ? "no_claim" : "corrected");
}

function takeNext() {
  const s = sentences[current];
  // Skipped versions are passed over: a skip says nothing about the sentence.
  const decided = s.work.flatMap((w, k) => (w.status === "skipped" ? [] : [k]));
  if (!decided.length) { hint("No annotator has decided this sentence yet: nothing to take."); return; }
  // The next decided version after the one on show, round to the first.
  takeVersion(s, decided.find((k) => k > s.taken) ?? decided[0]);
}

function renderComments(s) {
  const box = el("div", { class: "comments" });
  s.comments.forEach((c) => {
    box.append(el("p", { class: c.resolved ? "comment resolved" : "comment" },
      el("strong", {}, `${c.author}: `), c.text, c.resolved ? " (resolved)" : "",
      adjudicating && !c.resolved ? el("button", { type: "button", onclick: () => resolveComment(s, c) }, "Resolve") : null));
  });
  if (s.writingComment) {
    const area = el("textarea", { rows: 2, "aria-label": "comment for the reviewer", placeholder: "What should the reviewer look at? (Ctrl+Enter sends, Esc cancels)" });
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); sendComment(s, area.value); }
      if (event.key === "Escape") { s.writingComment = false; renderPanel(); }
    });
    box.append(area, el("button", { type: "button", onclick: () => sendComment(s, area.value) }, "Send comment"));
    setTimeout(() => area.focus(), 0);
  }
  return box;
}

function startComment() {
  sentences[current].writingComment = true;
  renderPanel();
}

// Read afresh for every write, from the cookie as Django's docs advise: logging in again (in
// another tab too) rotates the token, and one read when the page loaded is refused from then on.
function csrfToken() {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
}

// The session is gone (logged out in another tab, or expired): the server says so by a code
// (annotate/middleware.py), and a token that no longer matches the session fails the CSRF
// check. Logging in again cures both; any other 403 is a refusal.
function sessionLost({ status, payload }) {
  return status === 401 || (status === 403
    && (payload.code === "logged_out" || String(payload.detail || "").startsWith("CSRF Failed")));
}
const loggedOutEl = document.getElementById("logged-out");
// Someone else logged in meanwhile (in another tab): the server refuses to save this page's work
// as theirs (annotate/middleware.py). Kept and retried, as when logged out.
const otherUser = ({ status, payload }) => status === 403 && payload.code === "other_user";
const otherUserEl = document.getElementById("other-user");
// The page's own "Log out" form carries the token of page load, refused once the user has
// logged in again in another tab: it sends the current one.
document.querySelector("form.user")?.addEventListener("submit", (event) => {
  const field = event.target.querySelector("[name=csrfmiddlewaretoken]");
  if (field) field.value = csrfToken();
});

async function sendJson(method, url, body) {
  const response = await fetch(url, {
    method, credentials: "same-origin",
    // Whose page this is: the server refuses the write if the session is someone else's.
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), "X-ClaimDesk-User": String(data.user.id) },
    body: JSON.stringify(body),
  });
  const result = { ok: response.ok, status: response.status, payload: await response.json().catch(() => ({})) };
  // The last answer says whether the session is there, and whose it is.
  loggedOutEl.hidden = !sessionLost(result);
  otherUserEl.hidden = !otherUser(result);
  return result;
}
const postJson = (url, body) => sendJson("POST", url, body);

// What a refusal says: DRF answers {"detail": "…"} or field errors such as {"name": ["This field
// may not be blank."]}, nested for the claims ({"claims": [{}, {"claim": ["…"]}]}).
function errorText(payload, fallback) {
  if (payload.detail) return String(payload.detail);
  const messages = [];
  const collect = (value, path) => {
    if (typeof value === "string") messages.push(path ? `${path}: ${value}` : value);
    else if (Array.isArray(value)) value.forEach((v, k) => collect(v, typeof v === "string" ? path : `${path} ${k + 1}`));
    else if (value && typeof value === "object") {
      Object.entries(value).forEach(([key, v]) => collect(v, key === "non_field_errors" ? path : `${path} ${key}`.trim()));
    }
  };
  collect(payload, "");
  return messages.join("; ") || fallback;
}

async function sendComment(s, value) {
  if (!value.trim()) { hint("Write something first."); return; }
  const { ok, payload } = await postJson(data.urls.comments.replace("/0/", `/${s.id}/`), { text: value });
  if (!ok) { hint(`Comment not sent: ${errorText(payload, "error")}`); return; }
  s.comments.push(payload);
  s.writingComment = false;
  refresh(sentences.indexOf(s));
  refreshHistory(s);
}

async function resolveComment(s, comment) {
  const { ok, payload } = await postJson(data.urls.resolve.replace("/0/", `/${comment.id}/`), {});
  if (!ok) { hint(`Not resolved: ${errorText(payload, "error")}`); return; }
  Object.assign(comment, payload);
  refresh(sentences.indexOf(s));
  refreshHistory(s);
}

function renderHistory(s) {
  const box = el("div", { class: "history" }, el("h3", {}, "History"));
  if (!s.events.length) box.append(el("p", { class: "muted" }, "No changes yet."));
  s.events.forEach((e) => {
    box.append(el("p", {}, el("time", { datetime: e.at }, new Date(e.at).toLocaleString()), ` ${e.actor || "system"} — ${eventText(e)}`));
  });
  return box;
}

// An audit event of the sentence in words; raw JSON only for a kind of event this page does not know.
function eventText(e) {
  if (e.action === "comment.add") return `comment: ${e.after.text}`;
  if (e.action === "comment.resolve") return "resolved the comment";
  const after = e.action.endsWith(".delete") ? "withdrawn, suggested again"
    : e.after && e.after.status ? `${e.after.status}, ${describeClaims(e.after.claims || [])}` : JSON.stringify(e.after);
  return `${e.action}: ${after}`;
}

// The sentence's history, or null when it could not be had (`getJson`).
async function fetchHistory(s) {
  const events = await getJson(data.urls.history.replace("/0/", `/${s.id}/`));
  // Only an event's claims after the change are shown (eventText): only they are converted.
  const inUnits = (e) => (e.after && e.after.claims ? { ...e, after: annotationInUnits(e.after) } : e);
  return events && events.map(inUnits);
}

async function toggleHistory() {
  const s = sentences[current];
  if (s.events) { s.events = null; renderPanel(); return; }
  s.events = (await fetchHistory(s)) ?? [];
  renderPanel();
}

// An open history shows what was just saved: it is fetched again once a save is in. Not while
// offline (it would say nothing new), and only if it is still open when the answer comes; a
// refused fetch leaves the list shown as it was.
async function refreshHistory(s) {
  if (!s.events) return;
  const events = await fetchHistory(s);
  if (!events || !s.events) return;
  s.events = events;
  if (sentences.indexOf(s) === current) renderPanel();
}

// ---------- saving ----------

function annotationUrl(s) {
  return data.urls.annotation.replace("/0/", `/${s.id}/`);
}

function save(s, status) {
  const i = sentences.indexOf(s);
  s.draft.status = status;
  s.saveState = "saving";
  s.pending += 1;
  renderRow(i);
  s.queue = s.queue.then(() => send(s, i)).finally(() => { s.pending -= 1; });
  return s.queue;
}

// Undone back to the untouched suggestion: withdraw the stored work, so that no human work
// stays recorded. Nothing stored yet (the first save failed): nothing to withdraw.
function withdraw(s) {
  if (s.version === null) return { ok: true, status: 204, payload: {} };
  return sendJson("DELETE", `${annotationUrl(s)}?version=${s.version}`);
}

// Network trouble, or logged out: keep the change on the page and send it again shortly, and
// again, until the network or the session is back. A newer change to the sentence takes over.
function retryLater(s, state) {
  s.saveState = state;
  setTimeout(() => { if (s.saveState === state) save(s, s.draft.status); }, 3000);
}

async function send(s, i) {
  // Queued behind a save that lost to a version saved elsewhere, this one rests on the same
  // stale version (and a withdraw of nothing would pass for done): the conflict box decides.
  if (s.saveState === "conflict") { refresh(i); return; }
  const status = s.draft.status;
  const body = {
    status,
    version: s.version,
    claims: status === "no_claim" || status === "skipped" ? [] : convertClaims(s.draft.claims, toPoints),
  };
  let response;
  try {
    response = status === null ? await withdraw(s) : await sendJson("PUT", annotationUrl(s), body);
  } catch (error) {
    retryLater(s, "offline");
    refresh(i);
    return;
  }
  const { payload } = response;
  // A withdraw that finds nothing stored (another tab withdrew it first) has what it asked for.
  const alreadyWithdrawn = status === null && response.status === 409 && !payload.current;
  if ((response.ok || alreadyWithdrawn) && status === null) {
    s.version = null;
    if (s.pending <= 1) {
      s.saveState = "suggested";
      s.message = "";
      refreshHistory(s);  // once the last queued save is in, not after each
    }
    if (alreadyWithdrawn) s.panelMessage = "This work was already withdrawn (in another tab, or by someone else); the sentence is suggested again.";
  } else if (response.ok) {
    s.version = payload.version;
    // A claim's speaker came back as another: it was merged meanwhile, and the server followed
    // the merge. The page's other copies follow it too, and the list, which still offers the
    // merged speaker, is fetched again (as it is when a name typed as a new speaker came back as one).
    const merged = new Map();  // the speaker id sent -> the one stored
    body.claims.forEach((c, k) => {
      const stored = payload.claims[k]?.speaker_id;
      if (c.speaker_id && stored && stored !== c.speaker_id) merged.set(c.speaker_id, stored);
    });
    merged.forEach((to, from) => followMerge(from, to));
    if (merged.size || payload.claims.some((c) => c.speaker_id && !speakers.some((x) => x.id === c.speaker_id))) reloadSpeakers();
    // A later change is already queued: keep the draft (it holds that change, sent next
    // with this version) and keep saying "saving" until the last save is in.
    if (s.pending <= 1) {
      s.draft.status = payload.status;
      // A skip is stored without claims; the draft keeps the ones it showed.
      if (payload.status !== "skipped") s.draft.claims = editable(convertClaims(payload.claims, toUnits));
      s.saveState = "saved";
      s.message = "";
      refreshHistory(s);  // once the last queued save is in, not after each
    }
    scheduleRuleRecords();
  } else if (response.status === 409) {
    s.saveState = "conflict";
    s.theirs = annotationInUnits(payload.current);
  } else if (sessionLost(response)) {
    retryLater(s, "logged-out");  // the banner says how to log in again
  } else if (otherUser(response)) {
    retryLater(s, "other-user");  // its banner says as whom
  } else {
    s.saveState = "error";
    s.message = errorText(payload, `HTTP ${response.status}`);
  }
  refresh(i);
}

// How each stance rule fares here moves as people work. Where the page shows it, it asks
// again a little after the last save and redraws the record and the confidences of the
// rules' suggestions; one request however many saves come in the meantime.
const RULE_RECORDS_DELAY_MS = 3000;
let ruleRecordsTimer = null;
function scheduleRuleRecords() {
  if (!Object.values(data.stance_rules).some((rule) => rule.reviewed !== undefined)) return;  // none shown here
  clearTimeout(ruleRecordsTimer);
  ruleRecordsTimer = setTimeout(reloadRuleRecords, RULE_RECORDS_DELAY_MS);
}

async function reloadRuleRecords() {
  const answer = await getJson(data.urls.stance_rules);
  if (!answer || answer.rules_model !== data.stance_rules_model) return;  // offline: the next save asks again
  const { rules_model: model, rules } = answer;
  Object.assign(data.stance_rules, rules);
  // As the server does (selectors.suggestion_data): a rule's figure here, once judged here,
  // for its suggestions of the label it suggests now.
  sentences.forEach((s, i) => {
    s.suggestions.forEach((x) => {
      const rule = x.stance_model === model ? rules[x.stance_rule] : null;
      if (rule && rule.reviewed && x.stance === rule.label) {
        x.confidence.stance = rule.confidence;
      }
    });
    renderRow(i);
  });
  renderPanel();
}

// The document's speakers as stored now: a reviewer may have renamed or merged some since this
// page loaded. Only the panel shows speaker names, so only the panel is drawn again. False when
// the list could not be fetched (offline, logged out): the page keeps the one it has.
async function reloadSpeakers() {
  const fresh = await getJson(data.urls.speakers);
  if (!fresh) return false;
  speakers.splice(0, speakers.length, ...fresh);
  renderPanel();  // which keeps the picker's focus and the option it shows
  return true;
}

// A GET of the API's JSON; null when it could not be had (offline, logged out, refused).
async function getJson(url) {
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    return response.ok ? await response.json() : null;
  } catch (error) {
    return null;
  }
}

// Speaker `from` was merged into `to` (here, or elsewhere as a save found out): the page's copies
// of every claim follow, as the server moved the stored ones.
function followMerge(from, to) {
  const repoint = (claims) => claims.forEach((c) => { if (c.speaker_id === from) c.speaker_id = to; });
  sentences.forEach((s) => {
    repoint(s.draft.claims);
    s.work.forEach((w) => repoint(w.claims || []));
  });
  undoSteps.forEach((step) => repoint(step.draft.claims));
}

// Reviewers curate the document's canonical speakers: rename one, or merge a duplicate
// ("Wells" into "Ambassador Alice Wells"); the server moves everyone's claims.
const speakersDialog = document.getElementById("speakers-dialog");
const speakerKinds = [["person", "person"], ["organisation", "organisation"], ["anonymous", "anonymous source"], ["other", "other"]];

function renderSpeakerRows() {
  const rows = curated.map((speaker) => {
    const kind = el("select", { "aria-label": `kind of ${speaker.name}` },
      speakerKinds.map(([value, label]) => el("option", { value, selected: value === speaker.kind ? "selected" : null }, label)));
    const rename = () => renameSpeaker(speaker, name.value, kind.value);
    // Enter in the name renames, as the row's button does (the field is in no form to submit).
    const name = el("input", {
      type: "text", value: speaker.name, "aria-label": `name of ${speaker.name}`, maxlength: 300,
      onkeydown: (event) => {
        if (event.key !== "Enter" || event.isComposing) return;
        event.preventDefault();
        rename();
      },
    });
    const into = el("select", { "aria-label": `merge ${speaker.name} into` }, el("option", { value: "" }, "—"),
      curated.filter((other) => other.id !== speaker.id).map((other) => el("option", { value: other.id }, other.name)));
    return el("tr", { dataset: { speaker: speaker.id } },
      el("td", {}, name), el("td", {}, kind),
      el("td", {}, el("button", { type: "button", onclick: rename }, "Rename")),
      el("td", {}, into),
      el("td", {}, el("button", { type: "button", onclick: () => mergeSpeaker(speaker, into.value) }, "Merge")));
  });
  document.getElementById("speakers-rows").replaceChildren(...rows);
}

function speakerStatus(message) {
  document.getElementById("speakers-status").textContent = message;
}

// The dialog's list: every speaker of the document (`urls.speakers_all`), where the page's own
// list (`speakers`, the picker's) may leave out what a blind page's user may not see.
const curated = [];
async function reloadCurated() {
  const fresh = await getJson(data.urls.speakers_all || data.urls.speakers);
  if (!fresh) return false;
  curated.splice(0, curated.length, ...fresh);
  return true;
}

// A rename or merge answers with every speaker of the document: the dialog shows them, and the
// page's own list is fetched again for the picker.
function applySpeakers(fresh) {
  curated.splice(0, curated.length, ...fresh);
  renderSpeakerRows();
  reloadSpeakers();
}

// The list is fetched again and shown, so the person carries on from what is there now.
async function showCurrentSpeakers(message) {
  const fresh = await reloadCurated();
  reloadSpeakers();
  renderSpeakerRows();
  speakerStatus(fresh ? message : `${message} The current list could not be fetched: reload the page.`);
}

// A 404 on a speaker: merged or removed meanwhile, by another reviewer or in another tab.
const goneText = (speaker) => `“${speaker.name}” is no longer a speaker of this document: it was merged into another `
  + "or removed elsewhere (another tab, or another reviewer). The list now shows the current speakers.";

async function renameSpeaker(speaker, name, kind) {
  const url = data.urls.speaker.replace("/0/", `/${speaker.id}/`);
  const { ok, status, payload } = await sendJson("PATCH", url, { name, kind, expected_name: speaker.name });
  if (status === 404) { await showCurrentSpeakers(goneText(speaker)); return; }
  if (!ok) {
    if (payload.current) applySpeakers(payload.speakers);  // renamed meanwhile: show what is stored
    speakerStatus(errorText(payload, "Could not rename the speaker."));
    return;
  }
  applySpeakers(payload.speakers);
  speakerStatus(`✓ renamed to “${payload.speaker.name}”`);
}

async function mergeSpeaker(speaker, intoId) {
  if (!intoId) { speakerStatus(`Choose the speaker to merge “${speaker.name}” into.`); return; }
  const into = Number(intoId);
  const target = curated.find((x) => x.id === into);
  const { ok, status, payload } = await postJson(data.urls.speaker_merge.replace("/0/", `/${speaker.id}/`), { into });
  if (status === 404) { await showCurrentSpeakers(goneText(speaker)); return; }
  if (!ok) {
    // The speaker to merge into may be the one gone (the server says 400: it does not exist).
    if (status === 400 && target && await reloadCurated() && !curated.some((x) => x.id === into)) {
      reloadSpeakers();
      renderSpeakerRows();
      speakerStatus(`${goneText(target)} Choose again.`);
      return;
    }
    speakerStatus(errorText(payload, "Could not merge the speakers."));
    return;
  }
  followMerge(speaker.id, into);  // the server moved every claim; keep this page's copies in step
  applySpeakers(payload.speakers);
  speakerStatus(`✓ “${speaker.name}” merged into “${payload.speaker.name}”`);
}

// The list is fetched as the dialog opens: the page's copy may miss a merge or rename made in
// another tab or by another reviewer since it loaded. Rows are drawn once it is in, so that
// they do not change under someone already typing a name.
let speakersOpened = 0;  // which opening the fetched list is for: only the last one draws it
async function manageSpeakers() {
  if (!speakersDialog) return;
  const opening = ++speakersOpened;
  document.getElementById("speakers-rows").replaceChildren();
  speakerStatus("Fetching the document's speakers…");
  speakersDialog.showModal();
  const focused = document.activeElement;
  const fresh = await reloadCurated();
  if (opening !== speakersOpened || !speakersDialog.open) return;
  renderSpeakerRows();
  // As showModal would have, had the rows been there: the first name, unless the focus moved.
  if (document.activeElement === focused) speakersDialog.querySelector("#speakers-rows input")?.focus();
  speakerStatus(!fresh ? "The current speakers could not be fetched; this list may be out of date."
    : curated.length ? "" : "This document has no speakers yet.");
}
if (speakersDialog) document.getElementById("manage-speakers").addEventListener("click", manageSpeakers);


// After a conflict my undo steps rest on a version that is gone: undoing one would write over
// (or withdraw) theirs. Forget them.
function forgetUndo(s) {
  for (let k = undoSteps.length - 1; k >= 0; k -= 1) if (undoSteps[k].sentence === s) undoSteps.splice(k, 1);
}

function useTheirs(s) {
  forgetUndo(s);
  s.version = s.theirs ? s.theirs.version : null;
  redrawingReach(s, () => { s.draft = draftFor(s, s.theirs); });
  s.taken = startingWork(s, s.theirs);  // t goes on from the version now on show
  s.saveState = s.theirs ? "saved" : "suggested";
  refresh(sentences.indexOf(s));
}

function retryMine(s) {
  // Mine now writes over theirs: its undo saves theirs again (a withdraw only if they had withdrawn).
  forgetUndo(s);
  undoSteps.push({ sentence: s, draft: draftFor(s, s.theirs), activeClaim: 0, taken: startingWork(s, s.theirs) });
  s.version = s.theirs ? s.theirs.version : null;
  save(s, s.draft.status);
}

function refresh(i) {
  renderRow(i);
  if (i === current) renderPanel();
  renderProgress();
}

// ---------- actions ----------

// At the last sentence a first j only says so; a second j, with nothing changed in between,
// goes on to the next document.
let atLastSentence = false;

// On a sentence with a gold version, or with the annotator's own saved work, a first x only says
// what a skip would do to it; a second x, with no other key pressed and nothing changed or moved
// in between, skips. A skip replaces the gold, and the export and stance training lose it until
// the sentence is adjudicated again; it replaces finished work with a new version that is not
// done, unnoticed after a j too many (D6).
let skipArmed = false;

// The changes made on this page, oldest first, each with the sentence as it was before it:
// z undoes the last change wherever it was made, since Enter, n and x move on to the next
// sentence at once. One list for the page, so that the order of changes is kept in one place.
const undoSteps = [];

// What a draft stores: its status and its claims (none for "no claim"). "accepted" and
// "corrected" are one here: the server tells them apart by comparing the claims with the
// suggestion, so the same claims come back with the same status whichever of the two was sent.
const storedState = (draft) => JSON.stringify([
  draft.status === "corrected" ? "accepted" : draft.status,
  draft.status === "no_claim" ? [] : draft.claims,
]);

function edit(s, change, status = "corrected") {
  atLastSentence = false;  // "press j again" was about leaving as things were; a change needs a new j
  skipArmed = false;
  s.earlierTarget = null;  // answered: whatever is saved now is given toward today's target
  const before = { sentence: s, draft: clone(s.draft), activeClaim: s.activeClaim, taken: s.taken };
  return redrawingReach(s, () => {
    change();
    s.panelMessage = "";
    // A key that changes nothing (Enter after 2, or after t, n on "no claim", x on a skip) is no
    // step of z's: undone, it changed nothing either, and took a z of its own before the change
    // the user meant to undo (D5). It is still saved: a refused or offline save is tried again.
    if (storedState(before.draft) !== storedState({ ...s.draft, status })) undoSteps.push(before);
    return save(s, status);
  });
}

// The rows a sentence's claims reach into (a claim over several sentences, a speaker in
// another): drawn again with a change, before and after it, or their highlights go on showing
// the spans as they were until a reload (QA16).
function rowsReachedBy(s) {
  const reached = new Set();
  claimsShown(s).forEach((claim) => ROLE_PRIORITY.forEach((role) => {
    const span = claim[role];
    if (span) sentences.forEach((row, k) => { if (overlaps(span, row)) reached.add(k); });
  }));
  return reached;
}

function redrawingReach(s, change) {
  const before = rowsReachedBy(s);
  const result = change();
  const own = sentences.indexOf(s);
  new Set([...before, ...rowsReachedBy(s)]).forEach((k) => { if (k !== own) renderRow(k); });
  return result;
}

function ensureClaim(s) {
  if (!claimsShown(s).length) {
    s.draft.claims = [{ speaker: null, cue: null, claim: sentenceSpan(s), stance: null, speaker_id: null, speaker_name: null, suggestion_id: null }];
    s.activeClaim = 0;
  }
  return s.draft.claims[s.activeClaim] || s.draft.claims[0];
}

// A hint replaces the one shown: a skip question it hides is taken back, or the next x would
// skip with no question on screen (QA19).
function hint(message) {
  skipArmed = false;
  const s = sentences[current];
  s.panelMessage = message;
  renderPanel();
}

// Where a boundary of the selection falls in the text, as an offset; null outside the rows.
// A boundary in a row but outside its text (a triple click ends on the row's first badge, a drag
// may end on the badges or on the next row's number) goes to the nearest text the selection
// covers, as its highlight does: a start on to the next text, an end back to the end of the
// text before it. Without `side`, only a boundary within the text counts.
function textOffset(node, offset, side) {
  if (!listEl.contains(node)) return null;
  const element = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
  const holder = element.closest("[data-offset]");
  if (holder) {
    // Within its text node, or before (0) or after its only child, the text node.
    const within = node.nodeType === Node.TEXT_NODE ? offset : offset && holder.textContent.length;
    return Number(holder.dataset.offset) + within;
  }
  if (!side) return null;
  const at = document.createRange();
  at.setStart(node, offset);
  const pieces = [...listEl.querySelectorAll("[data-offset]")];
  if (side === "start") {
    const after = pieces.find((piece) => at.comparePoint(piece, 0) >= 0);
    return after ? Number(after.dataset.offset) : null;
  }
  const before = pieces.filter((piece) => at.comparePoint(piece, piece.childNodes.length) <= 0).pop();
  return before ? Number(before.dataset.offset) + before.textContent.length : null;
}

// The selected text as a span, or why there is none: "none" (nothing, or only spaces, selected)
// or "outside" (the selection runs out of the sentences, onto the panel or the page's head).
function selectedSpan() {
  const selection = window.getSelection();
  if (!selection || selection.isCollapsed || !selection.rangeCount) return { why: "none" };
  const range = selection.getRangeAt(0);
  const start = textOffset(range.startContainer, range.startOffset, "start");
  const end = textOffset(range.endContainer, range.endOffset, "end");
  if (start === null || end === null || start >= end) return { why: "outside" };
  const span = trimSpan(start, end);
  return span ? { span: wholeChars(span) } : { why: "none" };
}

// Runs `change` (which draws rows again) and selects again the text that was selected: the rows'
// text is drawn in the same pieces whichever sentence is current.
function keepingSelection(change) {
  const selection = window.getSelection();
  const range = selection.rangeCount ? selection.getRangeAt(0) : null;
  const start = range && textOffset(range.startContainer, range.startOffset);
  const end = range && textOffset(range.endContainer, range.endOffset);
  change();
  if (start === null || end === null) return;
  // The text node holding an offset: a start in the piece it begins, an end in the piece it ends.
  const pieces = [...listEl.querySelectorAll("[data-offset]")];
  const pointAt = (offset, isEnd) => {
    const piece = pieces.find((p) => {
      const from = Number(p.dataset.offset);
      const to = from + p.textContent.length;
      return isEnd ? from < offset && offset <= to : from <= offset && offset < to;
    });
    return piece && [piece.firstChild, offset - Number(piece.dataset.offset)];
  };
  const [a, b] = [pointAt(start, false), pointAt(end, true)];
  if (a && b) selection.setBaseAndExtent(...a, ...b);
}

// Only the same name (ignoring case, spacing, Unicode form and invisible characters) is the same
// speaker: a part of a name is not ("Pakistan" is not "Pakistani officials"). Any other mention
// becomes a new speaker, which the picker shows as "new: …" and a reviewer can merge into another.
// The server's rule (`speaker_key`, annotate/models.py) as far as JavaScript goes: it has no case
// folding, and toLowerCase leaves "ß" as it is, where the server folds it to "ss". Such a mention
// is sent as a new name, and the server files it under the speaker it already has.
const speakerKey = (name) => name.replace(/\p{Cf}/gu, "").normalize("NFKC").toLowerCase().normalize("NFKC")
  .split(/\s+/).filter(Boolean).join(" ");
function matchSpeaker(span) {
  const mention = speakerKey(text.slice(span[0], span[1]));
  return speakers.find((sp) => speakerKey(sp.name) === mention);
}

function setSpan(role) {
  const s = sentences[current];
  const { span, why } = selectedSpan();
  const key = role === "speaker" ? "s" : role === "cue" ? "u" : "c";
  if (why === "outside") { hint(`The selection runs outside the sentences' text: select within the sentences, then press ${key}.`); return; }
  if (!span) { hint(`Select text in the document first, then press ${key}.`); return; }
  // A claim overlaps its sentence, or its cue does (a quotation in the sentence before "…, she
  // said."), as the server checks.
  const inSentence = (x) => overlaps(x, s);
  const active = claimsShown(s).length ? ensureClaim(s) : null;
  if (role === "claim" && !inSentence(span) && !(active && inSentence(active.cue))) {
    hint("A claim must overlap the current sentence (or its cue must); select text in the framed sentence."); return;
  }
  // ... so a cue moved out of the sentence leaves a claim outside it nothing to stand on (QA18:
  // the server refused it after the fact).
  if (role === "cue" && !inSentence(span) && !(active && inSentence(active.claim))) {
    hint("A claim's cue must overlap the current sentence when its claim does not; select the cue in the framed sentence."); return;
  }
  edit(s, () => {
    const claim = ensureClaim(s);
    claim[role] = span;
    if (role === "speaker") {
      const known = matchSpeaker(span);
      claim.speaker_id = known ? known.id : null;
      claim.speaker_name = known ? null : text.slice(span[0], span[1]);
    }
  });
  window.getSelection().removeAllRanges();
}

// Each label has its own key (the project page shows it); retiring one leaves the others' keys alone.
function setStance(key) {
  const label = data.labels.find((l) => l.key === key);
  if (!label) return;
  if (label.retired) { hint(`“${label.name}” is retired: choose another label.`); return; }
  const s = sentences[current];
  edit(s, () => { ensureClaim(s).stance = label.value; });
}

function accept() {
  const s = sentences[current];
  const status = s.draft.claims.length && s.draft.status !== "no_claim" ? "accepted" : "no_claim";
  edit(s, () => { if (status === "no_claim") s.draft.claims = []; }, status);
  next();
}

function noClaim() {
  const s = sentences[current];
  edit(s, () => { s.draft.claims = []; }, "no_claim");
  next();
}

// What x would replace on sentence `s`, as the question a first x asks; null when there is
// nothing to lose: a sentence never saved, or already skipped.
function skipQuestion(s) {
  if (!s.draft.status || s.draft.status === "skipped") return null;
  const status = STATUS_NAMES[s.draft.status];
  if (adjudicating) {
    return `This sentence has a gold version (${status}). Press x again to skip it instead: `
      + "the gold version is then withdrawn, out of the export and stance training until you adjudicate the sentence again (z undoes).";
  }
  return `This sentence holds your saved work (${status}). Press x again to skip it instead: a skip replaces your work (z undoes).`;
}

function skip() {
  const s = sentences[current];
  const question = skipQuestion(s);
  if (question && !skipArmed) {
    hint(question);
    skipArmed = true;
    atLastSentence = false;  // "press j again" was about leaving as things were; this x came between
    return;
  }
  edit(s, () => {}, "skipped");
  next();
}

// Any key but x takes the skip question back, and its text with it: what the panel asks is
// what the next x does. (A key that changes or moves takes it back anyway; h, f, ? and Tab do not.)
function takeBackSkip() {
  if (!skipArmed) return;
  skipArmed = false;
  sentences[current].panelMessage = "";
  renderPanel();
}

// The fields by which the server tells one claim from another: a claim equal to another in all
// of them is dropped when saved (it would be exported and counted twice).
const CLAIM_IDENTITY = ["claim", "speaker", "cue", "stance", "speaker_id", "speaker_name"];
const sameClaim = (a, b) => CLAIM_IDENTITY.every((field) => JSON.stringify(a[field]) === JSON.stringify(b[field]));

function addClaim() {
  const s = sentences[current];
  const added = { speaker: null, cue: null, claim: sentenceSpan(s), stance: null, speaker_id: null, speaker_name: null, suggestion_id: null };
  // A second bare claim over the whole sentence would be dropped by the server: the page showed
  // two claims until a reload, and z took one step to undo nothing. The one there is made current.
  const existing = claimsShown(s).findIndex((claim) => sameClaim(claim, added));
  if (existing >= 0) {
    s.activeClaim = existing;
    renderRow(current);
    hint("This sentence already has a bare claim over the whole sentence, now the current one: select text to narrow it first.");
    return;
  }
  edit(s, () => {
    if (s.draft.status === "no_claim") s.draft.claims = [];
    s.draft.claims.push(added);
    s.activeClaim = s.draft.claims.length - 1;
  });
}

function deleteClaim() {
  const s = sentences[current];
  if (!claimsShown(s).length) return;
  edit(s, () => {
    s.draft.claims.splice(s.activeClaim, 1);
    s.activeClaim = 0;
  }, s.draft.claims.length > 1 ? "corrected" : "no_claim");
}

function focusSpeakerPicker() {
  // Tab switches claims, and reaching the list by Tab takes many presses: it has a key of its own.
  const picker = panelEl.querySelector(".claim.active select, .claim select");
  if (!picker) { hint("This sentence has no claim to pick a speaker for."); return; }
  picker.focus();
  reloadSpeakers();  // the list may be stale; it is fetched while the picker already has the focus
}

// Tab switches claims only where it has nothing else to do: the focus on the page itself, not
// on a control, and two or more claims to switch between. Otherwise it moves the focus.
function tabSwitchesClaims(event) {
  const s = sentences[current];
  return !event.shiftKey && event.target === document.body && Boolean(s) && claimsShown(s).length > 1;
}

function switchClaim() {
  const s = sentences[current];
  const count = claimsShown(s).length;
  s.activeClaim = (s.activeClaim + 1) % count;
  renderRow(current);
  renderPanel();
}

function undo() {
  atLastSentence = false;
  skipArmed = false;
  const step = undoSteps[undoSteps.length - 1];
  if (!step) { hint("Nothing to undo on this page."); return; }
  const s = step.sentence;
  const i = sentences.indexOf(s);
  // A hint is about what was just tried ("press j to go on", a skip question): once undone, it no
  // longer holds. z on the same sentence does not move, which would have taken it down (D5).
  sentences[current].panelMessage = "";
  s.panelMessage = "";
  // The change lost to a version saved elsewhere: undone, the page would show the sentence as
  // before (even untouched) while the server keeps theirs. The conflict box decides first.
  if (s.saveState === "conflict") {
    move(i);
    hint(`${savedFirst(s).long}: choose “Use theirs” or “Keep mine and save again” first.`);
    return;
  }
  undoSteps.pop();
  redrawingReach(s, () => {
    s.draft = step.draft;
    s.activeClaim = step.activeClaim;
    s.taken = step.taken;  // so that t after z takes the same version again, not the one after it
    move(i);  // back to where the change was made, to see it undone
    save(s, s.draft.status);  // null: back to untouched, see withdraw()
  });
  renderPanel();  // at once, with its hint gone, also where z did not move
}

function move(i, scroll = true, byClick = false) {
  if (i === current || i < 0 || i >= sentences.length) return;
  atLastSentence = false;
  skipArmed = false;
  const previous = current;
  sentences[previous].panelMessage = "";  // a hint is about what was just tried there
  const sticky = clickedAway;
  clickedAway = byClick ? previous : null;  // see `clickedAway`: shown until the next move
  current = i;
  renderRow(previous);
  if (sticky !== null && sticky !== previous && sticky !== i) renderRow(sticky);
  renderRow(current);
  renderPanel();
  if (scroll) listEl.children[current].scrollIntoView({ block: "nearest" });
}

// `key`: the key pressed to move (j, ↓), named by the hint at the last sentence. None when Enter,
// n or x moved on by themselves.
function step(delta, key = null) {
  let position = order.indexOf(current) + delta;
  if (order.indexOf(current) < 0) {
    // The current row is one the filter hides (z, or a click, went back to it): on to the
    // nearest shown row that way, not to the filter's first (QA16).
    const shown = [...order].sort((a, b) => a - b);
    const target = delta > 0 ? shown.find((k) => k > current) : shown.filter((k) => k < current).pop();
    if (target !== undefined) { move(target); return; }
    position = delta > 0 ? order.length : -1;
  }
  if (position >= 0 && position < order.length) { move(order[position]); return; }
  if (delta < 0) return;
  // Without a next document to go on to, say where to go instead.
  if (!data.urls.next) { hint(`Last sentence of this document. Back to the project page with “Project: ${data.project.name}” at the top.`); return; }
  // At the end, a second j goes on to the next document with work left, once every save is done.
  if (atLastSentence) {
    Promise.all(sentences.map((s) => s.queue)).then(() => { window.location.href = data.urls.next; });
    return;
  }
  atLastSentence = true;
  // "Again" only after a j (or ↓): after Enter it spoke of a key never pressed, and a second
  // Enter saves again instead of going on (D5).
  const press = key ? `Press ${key} again` : "Press j";
  hint(`Last sentence of this document. ${press} to go on to `
    + `${adjudicating ? "the next document waiting for adjudication" : "your next document with work left"}.`);
}
const next = (key = null) => step(1, key);
const previous = () => step(-1);

function showHelp() {
  document.getElementById("help").showModal();
}

function reorder(event) {
  // A clicked checkbox keeps the focus, and keys typed into inputs are not shortcuts: hand it back.
  event.target.blur();
  computeOrder();
  if (!order.length) {
    hint("No sentence matches this filter.");
    order = sentences.map((_, i) => i);
    hideFilteredOut();
    return;
  }
  move(firstUnfinished());
  hideFilteredOut();
}
orderToggle.addEventListener("change", reorder);
if (disagreementToggle) disagreementToggle.addEventListener("change", reorder);

// Whether the focus was last moved from the keyboard (Tab). Only then does Enter press the
// focused control: one the mouse clicked, or one a closing dialog handed the focus back to,
// leaves Enter to "accept". (:focus-visible cannot tell: a key press turns it on.)
let focusFromKeyboard = false;
document.addEventListener("mousedown", () => { focusFromKeyboard = false; }, true);

document.addEventListener("keydown", (event) => {
  clickMove = null;  // a key acted on the sentence clicked: a later double click does not move back
  if (event.key === "Tab") focusFromKeyboard = true;
  // dialog[open]: right after the help closes, its Close button keeps focus until the browser's
  // focus fixup runs; a closed dialog must not swallow the next shortcut.
  if (event.target.closest && event.target.closest("input, textarea, select, dialog[open]")) return;
  // Keyboard users reach and press the page's buttons and links as on any page: Tab moves the
  // focus on, Enter presses what has it (Space is no key of this page's, so it does already).
  const onControl = event.target.closest && event.target.closest("button, a[href], summary");
  if (onControl && (event.key === "Tab" || (event.key === "Enter" && focusFromKeyboard))) return;
  shortcut(event);
});

// The page's key for `event`, if it is one (also called by the speaker picker, which hands keys back).
const MODIFIER_KEYS = new Set(["Shift", "CapsLock"]);

function shortcut(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "Tab" && !tabSwitchesClaims(event)) return;
  const actions = {
    Enter: accept, s: () => setSpan("speaker"), u: () => setSpan("cue"), c: () => setSpan("claim"),
    n: noClaim, a: addClaim, d: deleteClaim, x: skip, z: undo, "?": showHelp, Tab: switchClaim,
    j: () => next("j"), ArrowDown: () => next("↓"), k: previous, ArrowUp: previous, f: startComment, h: toggleHistory, p: focusSpeakerPicker,
    ...(adjudicating ? { t: takeNext } : {}),
    ...(speakersDialog ? { m: manageSpeakers } : {}),
  };
  const action = actions[event.key] || (/^[1-9]$/.test(event.key) ? () => setStance(event.key) : null);
  // Any key but x takes a skip question back, shortcut or not: Esc is the natural "no" (QA23). Not
  // a bare Shift or Caps Lock, which only start another key.
  if (event.key !== "x" && !MODIFIER_KEYS.has(event.key)) takeBackSkip();
  if (!action) return;
  event.preventDefault();
  action();
}

window.addEventListener("beforeunload", (event) => {
  if (sentences.some((s) => ["saving", "offline", "logged-out", "other-user", "error", "conflict"].includes(s.saveState))) {
    event.preventDefault();
    event.returnValue = "";
  }
});

renderAll();
if (sentences[current]) listEl.children[current].scrollIntoView({ block: "nearest" });
