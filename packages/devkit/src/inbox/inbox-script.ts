/**
 * The inbox page's script (inline, under the page's CSP nonce). It loads requests from the JSON
 * API, keeps them current through Server-Sent Events (polling while the stream is down), and builds
 * every element with `textContent`: binding messages and other agent-supplied strings are never
 * parsed as HTML.
 */
export const inboxScript = String.raw`
(() => {
  'use strict';
  const body = document.body;
  const api = body.dataset.basePath + '/api';
  const pollInterval = Number(body.dataset.pollInterval) || 3000;
  const csrfHeader = body.dataset.csrfHeader;
  const select = document.getElementById('approver');
  const pendingList = document.getElementById('pending');
  const historyList = document.getElementById('history');
  const connection = document.getElementById('connection');
  const pageError = document.getElementById('page-error');
  const announcer = document.getElementById('announcer');

  const approvals = new Map();
  const cards = new Map();
  const groups = new Map();
  const historyItems = new Map();
  let approvers = [];
  let clockOffset = 0;
  let live = false;
  // Until the first list arrives the page says it is loading, never "nothing is waiting".
  let loaded = false;
  let reachable = true;
  let nextDomId = 0;

  const serverNow = () => Date.now() + clockOffset;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = String(text);
    return node;
  }


  // Characters that change how text reads without being seen (the rule the server applies to
  // binding messages): shown as visible escapes in arguments instead of being dropped.
  const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u{E0000}-\u{E007F}\u115F\u1160\u3164\uFFA0]/gu;

  function visible(text) {
    let hidden = false;
    const shown = String(text).replace(HIDDEN, (character) => {
      hidden = true;
      return '⟨U+' + character.codePointAt(0).toString(16).toUpperCase().padStart(4, '0') + '⟩';
    });
    const mixed = /\p{Script=Latin}/u.test(text) && /[\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Armenian}\p{Script=Cherokee}]/u.test(text);
    return { shown, hidden, mixed };
  }

  function flatArguments(value, path, rows) {
    if (value !== null && typeof value === 'object') {
      const entries = Array.isArray(value) ? value.map((item, index) => [path + '[' + index + ']', item]) : Object.entries(value).map(([name, item]) => [path ? path + '.' + name : name, item]);
      if (entries.length === 0) rows.push([path || '(arguments)', Array.isArray(value) ? '[]' : '{}']);
      for (const [childPath, item] of entries) flatArguments(item, childPath, rows);
    } else {
      rows.push([path || '(arguments)', value]);
    }
    return rows;
  }

  function argumentsTable(view) {
    const list = element('dl', 'arguments');
    const lookalikes = Array.isArray(view.lookalikes) ? view.lookalikes : [];
    for (const [path, value] of flatArguments(view.args, '', [])) {
      list.append(element('dt', '', visible(path).shown));
      const cell = element('dd');
      cell.dataset.path = path;
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      const { shown, hidden, mixed } = visible(text);
      cell.append(element('code', '', shown));
      if (typeof value === 'number' && Math.abs(value) >= 1000) cell.append(element('span', 'grouped', ' (' + value.toLocaleString('en') + ')'));
      if (hidden) cell.append(element('span', 'flag', 'holds invisible characters'));
      if (mixed) cell.append(element('span', 'flag', 'mixes scripts: may imitate another name'));
      for (const flag of lookalikes.filter((entry) => entry.path === path)) {
        if (flag.characters.length > 0) cell.append(element('span', 'flag lookalike', 'confusable characters: ' + flag.characters.join(', ')));
        if (flag.resembles !== undefined) cell.append(element('span', 'flag lookalike', 'looks like ' + visible(flag.resembles).shown + ' but is not the same name'));
      }
      list.append(cell);
    }
    return list;
  }

  // The call in one line, every argument (nested ones by path) with invisible characters made visible:
  // the card's headline, so the approver reads what will run before anything the agent says.
  function callHeadline(view) {
    const tool = view.tool ? visible(view.tool).shown : 'This request';
    if (view.args === undefined) return tool + ': no arguments were sent with this request';
    const parts = flatArguments(view.args, '', []).map(([path, value]) => visible(path).shown + ' = ' + (typeof value === 'string' ? '"' + visible(value).shown + '"' : visible(JSON.stringify(value)).shown));
    return tool + '(' + parts.join(', ') + ')';
  }

  // Amounts and names the agent's sentence mentions that no argument holds.
  function unsupportedClaims(message, args) {
    const values = flatArguments(args, '', []).map(([, value]) => String(value).toLowerCase());
    const numbers = new Set(flatArguments(args, '', []).filter(([, value]) => typeof value === 'number').map(([, value]) => value));
    const claims = [];
    for (const match of String(message).matchAll(/\d[\d,]*(?:\.\d+)?/g)) {
      const number = Number(match[0].replace(/,/g, ''));
      // A number counts only as a whole value: "5" is not supported by 50000.
      if (!numbers.has(number) && !values.some((value) => value.split(/[^\d.,]+/).includes(match[0]))) claims.push(match[0]);
    }
    for (const match of String(message).matchAll(/\p{Lu}[\p{L}\p{N}&'-]{2,}/gu)) {
      const word = match[0].toLowerCase();
      if (match.index === 0) continue;
      if (!values.some((value) => value.includes(word))) claims.push(match[0]);
    }
    return claims;
  }

  function approverName(id) {
    const known = approvers.find((approver) => approver.id === id);
    return known ? known.name : id;
  }

  function words(name) {
    const spaced = String(name).replace(/_/g, ' ').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
    return spaced.charAt(0).toUpperCase() + spaced.slice(1);
  }

  function display(value) {
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  function amountText(summary) {
    if (typeof summary.amount !== 'number') return display(summary.amount) + (summary.currency ? ' ' + display(summary.currency) : '');
    const amount = summary.amount.toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return summary.currency ? amount + ' ' + display(summary.currency) : amount;
  }

  function isPending(view) {
    return view.status === 'pending' && Date.parse(view.expiresAt) > serverNow();
  }

  function shownStatus(view) {
    return view.status === 'pending' ? 'expired' : view.status;
  }

  // A decision never goes back to pending and approvals never shrink: ignore stale copies.
  function rank(view) {
    return view.status === 'pending' ? view.approvals.length : 1000;
  }

  function upsert(view) {
    const known = approvals.get(view.id);
    if (known && rank(known) > rank(view)) return;
    if (!known && view.status === 'pending') announce('New request from ' + view.clientId + ': ' + callHeadline(view));
    approvals.set(view.id, view);
  }

  function announce(text) {
    announcer.textContent = text;
  }

  function formatLeft(milliseconds) {
    const total = Math.max(0, Math.ceil(milliseconds / 1000));
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = String(total % 60).padStart(2, '0');
    return hours > 0 ? hours + ':' + String(minutes).padStart(2, '0') + ':' + seconds : minutes + ':' + seconds;
  }

  function facts(view) {
    const list = element('dl', 'facts');
    const add = (label, value, asCode) => {
      list.append(element('dt', '', label));
      const cell = element('dd');
      if (asCode) cell.append(element('code', '', value));
      else cell.textContent = value;
      list.append(cell);
      return cell;
    };
    add('Agent', view.clientId, true);
    if (view.tool) add('Tool', view.tool, true);
    const summary = view.summary || {};
    if (summary.amount !== undefined) add('Amount', amountText(summary));
    for (const [name, value] of Object.entries(summary)) {
      if (name === 'amount' || name === 'currency') continue;
      add(name === 'keyId' ? 'Key id' : words(name), display(value));
    }
    add('Addressed to', approverName(view.loginHint));
    if (view.argsSha256) add('Arguments hash', view.argsSha256, true).title = 'SHA-256 of the RFC 8785 canonical arguments';
    const left = add('Time left', '');
    left.className = 'time-left';
    return { list, left };
  }

  function createCard(view) {
    const domId = 'request-' + nextDomId++;
    const root = element('article', 'card' + (view.requiredApprovals > 1 ? ' dual' : ''));
    root.dataset.approvalId = view.id;
    root.setAttribute('aria-labelledby', domId + '-message');

    root.dataset.testid = 'approval-card';
    if (view.argsSha256) root.dataset.argsSha256 = view.argsSha256;

    const head = element('div', 'card-head');
    const lead = element('div', 'call');
    lead.append(element('p', 'call-title', 'Will run with exactly these arguments'));
    const headline = element('h3', 'call-headline', callHeadline(view));
    headline.id = domId + '-message';
    headline.dataset.testid = 'call-headline';
    lead.append(headline);
    head.append(lead);
    if (view.requiredApprovals > 1) head.append(element('span', 'badge dual', 'Dual control'));
    root.append(head);
    const table = view.args !== undefined ? argumentsTable(view) : undefined;
    if (table) root.append(table);
    else root.append(element('p', 'flag', 'No arguments were sent with this request: only the agent\'s description below.'));

    const says = element('div', 'agent-says');
    says.append(element('span', 'agent-says-label', 'The agent says (its own words, not checked):'));
    const message = element('p', 'binding', view.bindingMessage);
    message.dataset.testid = 'agent-says';
    says.append(message);
    root.append(says);
    const claims = view.args === undefined ? [] : unsupportedClaims(view.bindingMessage, view.args);
    if (claims.length > 0) {
      const warning = element('p', 'mismatch', 'Warning: the agent\'s description names ' + claims.join(', ') + ', which the arguments do not hold. Decide on the arguments above.');
      warning.setAttribute('role', 'note');
      root.append(warning);
    }
    if (view.decisionRule) root.append(element('p', 'decision-rule', view.decisionRule));

    const { list, left } = facts(view);
    root.append(list);

    const progress = element('div', 'progress');
    const bar = element('progress');
    bar.max = view.requiredApprovals;
    bar.setAttribute('aria-labelledby', domId + '-progress');
    const progressText = element('span', 'progress-text');
    progressText.id = domId + '-progress';
    const approvedBy = element('span', 'approved-by');
    progress.append(bar, progressText, approvedBy);
    root.append(progress);

    const actions = element('div', 'actions');
    const approve = element('button', 'approve');
    approve.type = 'button';
    const denyToggle = element('button', 'deny', 'Deny…');
    denyToggle.type = 'button';
    const whyNot = element('span', 'why-not');
    whyNot.hidden = true;
    actions.append(approve, denyToggle, whyNot);
    root.append(actions);

    const denyForm = element('form', 'deny-form');
    denyForm.hidden = true;
    const reasonLabel = element('label', '', 'Reason for denying');
    reasonLabel.htmlFor = domId + '-reason';
    const reason = element('input');
    reason.type = 'text';
    reason.id = domId + '-reason';
    reason.name = 'reason';
    reason.required = true;
    reason.maxLength = 200;
    reason.autocomplete = 'off';
    const confirmDeny = element('button', 'deny', 'Confirm deny');
    confirmDeny.type = 'submit';
    const cancel = element('button', 'secondary', 'Cancel');
    cancel.type = 'button';
    denyForm.append(reasonLabel, reason, confirmDeny, cancel);
    root.append(denyForm);

    const error = element('p', 'error');
    error.setAttribute('role', 'alert');
    root.append(error);

    const card = { root, table, left, bar, progressText, approvedBy, approve, denyToggle, denyForm, reason, confirmDeny, error, whyNot, busy: false };
    approve.addEventListener('click', () => decide(card, view.id, 'approve', { approver: select.value }));
    denyToggle.addEventListener('click', () => {
      denyForm.hidden = false;
      reason.focus();
    });
    cancel.addEventListener('click', () => {
      denyForm.hidden = true;
      reason.value = '';
    });
    denyForm.addEventListener('submit', (event) => {
      event.preventDefault();
      decide(card, view.id, 'deny', { approver: select.value, reason: reason.value.trim() });
    });
    return card;
  }

  function updateCard(card, view) {
    const flags = JSON.stringify(view.lookalikes || []);
    if (card.table && card.flags !== flags) {
      const table = argumentsTable(view);
      card.table.replaceWith(table);
      card.table = table;
    }
    card.flags = flags;
    const count = view.approvals.length;
    card.bar.value = count;
    card.progressText.textContent = count + ' of ' + view.requiredApprovals + ' approval' + (view.requiredApprovals === 1 ? '' : 's');
    card.approvedBy.textContent = count === 0 ? 'no approvals yet' : 'approved by ' + view.approvals.map((decision) => approverName(decision.approver)).join(', ');
    card.approve.textContent = 'Approve as ' + approverName(select.value);
    if (!card.busy) applyRights(card, view);
    tick(card, view);
  }

  // Why the acting approver may not approve or deny (the server's mayApprove/mayDeny), or '' if they may.
  function refusal(view, approver, verb) {
    const allowed = verb === 'approve' ? view.mayApprove : view.mayDeny;
    if (!Array.isArray(allowed) || allowed.includes(approver)) return '';
    const approved = view.approvals.map((decision) => decision.approver);
    if (verb === 'approve' && approved.includes(approver)) {
      const others = view.mayApprove.filter((candidate) => candidate !== approver);
      return approver + ' already approved this request; the next approval must come from ' + (others.length > 0 ? 'one of: ' + others.join(', ') : 'someone else');
    }
    if (verb === 'approve' && view.agentOwner === approver) return approver + ' owns the agent that asks: an agent\'s owner may not approve its actions';
    if (view.requiredApprovals <= 1 && approver !== view.loginHint) return 'only ' + view.loginHint + ' may decide this request (it is addressed to ' + view.loginHint + ')';
    if (verb === 'approve' && approver !== view.loginHint && !approved.includes(view.loginHint)) return 'one of the ' + view.requiredApprovals + ' approvals must be ' + view.loginHint + '\'s (the request is addressed to ' + view.loginHint + ')';
    return approver + ' may not ' + verb + ' this request: ' + (view.decisionRule || 'the server\'s policy does not allow it');
  }

  function applyRights(card, view) {
    const approver = select.value;
    const rights = [[card.approve, refusal(view, approver, 'approve')], [card.denyToggle, refusal(view, approver, 'deny')], [card.confirmDeny, refusal(view, approver, 'deny')]];
    for (const [button, why] of rights) {
      button.disabled = why !== '';
      if (why) {
        button.title = why;
        button.setAttribute('aria-description', why);
      } else {
        button.removeAttribute('title');
        button.removeAttribute('aria-description');
      }
    }
    const reasons = [...new Set([rights[0][1], rights[1][1]].filter(Boolean))];
    card.whyNot.textContent = reasons.join('. ');
    card.whyNot.hidden = reasons.length === 0;
    if (rights[1][1] && !card.denyForm.hidden) card.denyForm.hidden = true;
  }

  function tick(card, view) {
    const left = Date.parse(view.expiresAt) - serverNow();
    card.left.textContent = formatLeft(left);
    card.left.classList.toggle('soon', left < 30000);
  }

  function createGroup() {
    const root = element('section', 'repeat-group');
    root.dataset.testid = 'repeat-group';
    const head = element('div', 'repeat-head');
    const count = element('span', 'count repeat-count');
    const title = element('p', 'repeat-title');
    head.append(count, title);
    root.append(head, element('p', 'repeat-hint', 'Each request is decided on its own. An agent asking again and again is a warning sign: deny the repeats you do not expect.'));
    const body = element('div', 'cards');
    root.append(body);
    return { root, count, title, body };
  }

  function historyItem(view) {
    const item = element('li');
    item.dataset.approvalId = view.id;
    const status = shownStatus(view);
    item.append(element('span', 'badge ' + status, words(status)));
    item.append(element('span', 'history-message', callHeadline(view)));
    item.append(element('span', 'history-says', 'The agent said: ' + view.bindingMessage));
    const meta = [view.clientId];
    if (view.tool) meta.push(view.tool);
    if (view.summary && view.summary.amount !== undefined) meta.push(amountText(view.summary));
    if (view.summary && view.summary.keyId !== undefined) meta.push('key ' + display(view.summary.keyId));
    item.append(element('span', 'history-meta', meta.join(' · ')));
    let decision;
    const names = view.approvals.map((entry) => approverName(entry.approver)).join(', ');
    if (status === 'approved') decision = 'Approved by ' + names + ' (' + view.approvals.length + ' of ' + view.requiredApprovals + ')';
    else if (status === 'denied' && view.denial) decision = 'Denied by ' + approverName(view.denial.approver) + (view.denial.reason ? ': ' + view.denial.reason : '');
    else decision = 'Expired with ' + view.approvals.length + ' of ' + view.requiredApprovals + ' approvals' + (names ? ' (' + names + ')' : '');
    const at = view.denial ? view.denial.at : view.approvals.length > 0 ? view.approvals[view.approvals.length - 1].at : view.expiresAt;
    item.append(element('span', 'history-decision', decision + ' · ' + new Date(at).toLocaleTimeString()));
    return item;
  }

  function placeInOrder(container, nodes) {
    nodes.forEach((node, index) => {
      // Move only what is out of place, so a focused reason field keeps its focus.
      if (container.children[index] !== node) container.insertBefore(node, container.children[index] || null);
    });
  }

  function render() {
    const views = [...approvals.values()];
    const pending = views.filter(isPending).sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt));
    const decided = views.filter((view) => !isPending(view)).sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));

    for (const [id, card] of cards) {
      if (!pending.some((view) => view.id === id)) {
        card.root.remove();
        cards.delete(id);
      }
    }
    const cardOf = (view) => {
      let card = cards.get(view.id);
      if (!card) {
        card = createCard(view);
        cards.set(view.id, card);
      }
      updateCard(card, view);
      return card.root;
    };
    // Repeats (the same agent asking for the same tool with the same arguments) are shown together.
    const byCall = new Map();
    for (const view of pending) {
      const key = view.argsSha256 ? [view.clientId, view.tool, view.argsSha256].join('\n') : 'id\n' + view.id;
      if (!byCall.has(key)) byCall.set(key, []);
      byCall.get(key).push(view);
    }
    const topNodes = [];
    for (const [key, views] of byCall) {
      if (views.length === 1) {
        topNodes.push(cardOf(views[0]));
        continue;
      }
      let group = groups.get(key);
      if (!group) {
        group = createGroup();
        groups.set(key, group);
      }
      group.count.textContent = String(views.length);
      group.title.textContent = 'Asked ' + views.length + ' times by ' + views[0].clientId + ': the same tool (' + views[0].tool + ') with the same arguments';
      group.root.dataset.groupSize = String(views.length);
      placeInOrder(group.body, views.map(cardOf));
      topNodes.push(group.root);
    }
    placeInOrder(pendingList, topNodes);
    for (const [key, group] of groups) {
      if (!topNodes.includes(group.root)) {
        group.root.remove();
        groups.delete(key);
      }
    }

    const historyNodes = decided.map((view) => {
      const signature = view.status + '|' + view.approvals.length + '|' + shownStatus(view);
      const known = historyItems.get(view.id);
      if (known && known.signature === signature) return known.node;
      const node = historyItem(view);
      if (known) known.node.replaceWith(node);
      historyItems.set(view.id, { node, signature });
      return node;
    });
    placeInOrder(historyList, historyNodes);

    document.getElementById('pending-count').textContent = String(pending.length);
    document.getElementById('pending-empty').hidden = pending.length > 0;
    document.getElementById('history-empty').hidden = decided.length > 0;
  }

  // A fetch that never reached the server (the dev stack stopped): said in words, not "Failed to fetch".
  class Unreachable extends Error {}

  async function call(path, init) {
    let response;
    try {
      response = await fetch(api + path, Object.assign({ credentials: 'same-origin', cache: 'no-store' }, init));
    } catch (error) {
      throw new Unreachable('cannot reach the dev stack at ' + location.host + ' (it may have stopped)');
    }
    let payload;
    try {
      payload = await response.json();
    } catch (error) {
      payload = undefined;
    }
    if (!response.ok) {
      const description = payload && typeof payload.error_description === 'string' ? payload.error_description : 'the server answered HTTP ' + response.status;
      throw new Error(description);
    }
    return payload;
  }

  async function decide(card, id, verb, payload) {
    const buttons = [card.approve, card.denyToggle, card.confirmDeny];
    buttons.forEach((button) => (button.disabled = true));
    card.busy = true;
    card.error.textContent = '';
    try {
      const headers = { 'content-type': 'application/json' };
      headers[csrfHeader] = '1';
      const result = await call('/approvals/' + encodeURIComponent(id) + '/' + verb, { method: 'POST', headers, body: JSON.stringify(payload) });
      upsert(result.approval);
      announce((verb === 'approve' ? 'Approved' : 'Denied') + ' as ' + approverName(payload.approver));
      render();
    } catch (error) {
      card.error.textContent = (error instanceof Unreachable ? 'Not sent: ' : 'Refused: ') + error.message;
    } finally {
      card.busy = false;
      buttons.forEach((button) => (button.disabled = false));
      const current = approvals.get(id);
      if (current) applyRights(card, current);
    }
  }

  async function refresh() {
    try {
      const result = await call('/approvals');
      clockOffset = Date.parse(result.now) - Date.now();
      result.approvals.forEach(upsert);
      pageError.hidden = true;
      if (!loaded) showLoaded();
      setReachable(true);
      render();
    } catch (error) {
      if (error instanceof Unreachable) return setReachable(false);
      pageError.textContent = 'Could not load the requests: ' + error.message;
      pageError.hidden = false;
    }
  }

  function showLoaded() {
    loaded = true;
    document.getElementById('pending-empty').textContent = 'Nothing is waiting for approval.';
    document.getElementById('history-empty').textContent = 'No decisions yet.';
    document.body.dataset.state = 'loaded';
  }

  const every = () => 'retrying every ' + Math.round(pollInterval / 1000) + ' s';

  function setReachable(isReachable) {
    reachable = isReachable;
    document.body.dataset.connection = isReachable ? (live ? 'live' : 'polling') : 'disconnected';
    if (!isReachable) {
      setLive(false);
      pageError.textContent = 'Disconnected: the dev stack stopped or cannot be reached at ' + location.host + '. ' +
        (loaded ? 'What you see may be out of date; ' : 'No requests loaded yet; ') + every() + '.';
      pageError.hidden = false;
    }
  }

  function setLive(isLive) {
    live = isLive;
    connection.textContent = isLive ? 'Live' : reachable ? 'Reconnecting… (checking every ' + Math.round(pollInterval / 1000) + ' s)' : 'Disconnected, ' + every();
    connection.classList.toggle('live', isLive);
    connection.classList.toggle('down', !isLive && !reachable);
    document.body.dataset.connection = isLive ? 'live' : reachable ? 'polling' : 'disconnected';
  }

  function connect() {
    if (typeof EventSource !== 'function') return setLive(false);
    const events = new EventSource(api + '/events');
    events.addEventListener('open', () => {
      reachable = true;
      setLive(true);
      refresh();
    });
    events.addEventListener('approval', (event) => {
      upsert(JSON.parse(event.data));
      render();
    });
    events.addEventListener('error', () => {
      setLive(false);
      // A stream the browser gave up on (an error answer while the stack restarts) is opened again.
      if (events.readyState === EventSource.CLOSED) setTimeout(connect, pollInterval);
    });
  }

  async function loadApprovers() {
    try {
      approvers = (await call('/approvers')).approvers;
    } catch (error) {
      if (error instanceof Unreachable) return setReachable(false);
      pageError.textContent = 'Could not load the approvers: ' + error.message;
      pageError.hidden = false;
      return;
    }
    select.textContent = '';
    for (const approver of approvers) {
      const option = element('option', '', approver.name + ' (' + approver.id + ') · ' + approver.roles.join(', '));
      option.value = approver.id;
      select.append(option);
    }
    select.disabled = approvers.length === 0;
    if (approvers.length > 0) render();
  }

  async function start() {
    select.addEventListener('change', render);
    await loadApprovers();
    await refresh();
    connect();
    setInterval(() => {
      if (!live) refresh();
      // The approvers list comes back with the stack, if it was down at the start.
      if (approvers.length === 0 && reachable) loadApprovers();
    }, pollInterval);
    setInterval(() => {
      for (const [id, card] of cards) {
        const view = approvals.get(id);
        if (!isPending(view)) return render();
        tick(card, view);
      }
    }, 1000);
  }

  start();
})();
`;
