/* cursus SCORM runtime: one script for SCORM 1.2 and SCORM 2004, loaded before cursus.js.
 *
 * It defines window.CursusStore (the learner state of cursus.js) on top of the LMS:
 * suspend_data holds this SCO's part of the state, compactly encoded; a localStorage mirror holds
 * everything, so nothing typed is lost when the LMS is missing or fails (calls are retried).
 * It records status, score, interactions, bookmark and session time, commits after every change
 * and when the page is hidden, and terminates once on pagehide (never on unload).
 *
 * In a single-SCO package the launch page owns the LMS session; the course pages in its frame
 * find that runtime through window.parent and only forward to it. */
(function () {
  'use strict';

  var element = document.getElementById('cursus-scorm');
  if (!element) return;
  var config = JSON.parse(element.textContent);
  var RETRY_MS = 3000;
  var COMMIT_EVERY_MS = 10000;
  var ELLIPSIS = '\u2026';

  var VERSIONS = {
    '1.2': {
      api: 'API', init: 'LMSInitialize', get: 'LMSGetValue', set: 'LMSSetValue', commit: 'LMSCommit',
      finish: 'LMSFinish', error: 'LMSGetLastError', entry: 'cmi.core.entry', location: 'cmi.core.lesson_location',
      locationMax: 255, exit: 'cmi.core.exit', session: 'cmi.core.session_time',
      learner: 'cmi.core.student_id', status: 'cmi.core.lesson_status', score: 'cmi.core.score.',
      response: 'student_response', wrong: 'wrong', separator: ',', time: 'time'
    },
    '2004': {
      api: 'API_1484_11', init: 'Initialize', get: 'GetValue', set: 'SetValue', commit: 'Commit',
      finish: 'Terminate', error: 'GetLastError', entry: 'cmi.entry', location: 'cmi.location',
      locationMax: 1000, exit: 'cmi.exit', session: 'cmi.session_time',
      learner: 'cmi.learner_id', status: 'cmi.completion_status', score: 'cmi.score.',
      response: 'learner_response', wrong: 'incorrect', separator: '[,]', time: 'timestamp'
    }
  };

  /* ---- The page: hand cursus.js a store, forward its events, report the bookmark. ---- */

  var owner = ownerInParent() || createRuntime();
  window.CursusRuntime = window.CursusRuntime || owner;
  var frame = document.getElementById('cursus-frame');
  if (frame) {
    frame.src = config.start;
    owner.ready(document);
  } else {
    connectPage(owner);
  }

  function ownerInParent() {
    try {
      var candidate = window.parent !== window && window.parent.CursusRuntime;
      return candidate && candidate.course === config.course ? candidate : null;
    } catch (e) {
      return null; /* a cross-origin parent: the LMS itself */
    }
  }

  function connectPage(runtime) {
    window.CursusStore = { load: runtime.load, save: runtime.save };
    document.addEventListener('cursus:check', function (event) { runtime.check(event.detail); });
    document.addEventListener('cursus:seen', function (event) { runtime.seen(event.detail.module); });
    var restore = function () { document.dispatchEvent(new CustomEvent('cursus:restore')); };
    runtime.listen(restore);
    openOutsideLinksElsewhere(document);
    var page = (window.location.pathname.split('/').pop() || config.start);
    runtime.visit(page);
    watchSections(function (id) { runtime.visit(page + '#' + id); });
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden') runtime.flush(fieldValues());
    });
    window.addEventListener('pagehide', function () {
      runtime.unlisten(restore);
      runtime.flush(fieldValues());
    });
    runtime.ready(document);
  }

  /* A link to another site opens in a new window, said so to screen readers: followed inside the
     SCO's frame it would end the LMS session (leaving the page terminates it), and many sites refuse
     to be shown in a frame. */
  function openOutsideLinksElsewhere(doc) {
    Array.prototype.forEach.call(doc.querySelectorAll('a[href]'), function (link) {
      if (!/^https?:$/.test(link.protocol) || link.host === doc.location.host) return;
      link.target = '_blank';
      link.relList.add('noopener');
      var note = doc.createElement('span');
      note.className = 'visually-hidden';
      note.textContent = ' ' + config.strings.scorm_new_window;
      link.appendChild(note);
    });
  }

  /* The answers typed but maybe not yet saved (cursus.js saves 400 ms after typing stops). */
  function fieldValues() {
    var values = {};
    Array.prototype.forEach.call(document.querySelectorAll('textarea[data-reflection]'), function (field) {
      values[field.getAttribute('data-reflection')] = field.value;
    });
    return values;
  }

  function watchSections(report) {
    if (!('IntersectionObserver' in window)) return;
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) { if (entry.isIntersecting) report(entry.target.id); });
    }, { rootMargin: '0px 0px -70% 0px' });
    Array.prototype.forEach.call(document.querySelectorAll('main h2[id]'), function (heading) { observer.observe(heading); });
  }

  /* ---- The runtime: owns the LMS session, the state and the learner's messages. ---- */

  function createRuntime() {
    var v = VERSIONS[config.api];
    var api = null;
    var session = 'none'; /* none, open, closed */
    var started = Date.now();
    var limit = config.limit;
    var written = {};
    var queue = [];
    var listeners = [];
    var initial = { entry: '', location: '', status: '' };
    /* What the LMS holds, and what this session reported: never reported lower again (a learner who
       reviews a passed module, or clears the answers, keeps the record already earned). */
    var best = { status: '', success: '', score: null, progress: 0 };
    var location = '';
    var learner = '';
    var failing = false;
    var retryTimer = null;
    var lastSync = 0;
    var syncTimer = null;
    var cut = [];
    var local = readMirror();
    var state = normalise(local && local.state);
    var ui = messages();

    connect();
    if (session !== 'open') sync();
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden') sync();
    });
    window.addEventListener('pagehide', finish);

    return {
      course: config.course,
      load: function () { return copy(state); },
      save: function (value) { state = normalise(copy(value)); mirror(); soon(); },
      check: check,
      seen: function (id) {
        if (id && state.seen.indexOf(id) < 0) { state.seen.push(id); changed(); } else sync();
      },
      visit: function (where) { location = String(where).slice(0, v.locationMax); },
      flush: function (values) {
        var before = JSON.stringify(state.answers);
        Object.keys(values).forEach(function (id) {
          if (values[id]) state.answers[id] = values[id]; else delete state.answers[id];
        });
        if (JSON.stringify(state.answers) !== before) mirror();
        sync();
      },
      listen: function (callback) { listeners.push(callback); },
      unlisten: function (callback) { listeners = listeners.filter(function (c) { return c !== callback; }); },
      ready: function (doc) { offerResume(doc); },
      retry: sync
    };

    function changed() { mirror(); sync(); }

    /* Typed answers reach the LMS at most every COMMIT_EVERY_MS: each commit is a request to the
       LMS's server (a blocking one in some LMSs), and a learner pauses often while typing. The
       browser's copy is written at once; a check answered, a page seen, and hiding or leaving the
       page commit at once. */
    function soon() {
      encode(); /* tells the learner now if an answer no longer fits in full */
      if (syncTimer) return;
      syncTimer = setTimeout(function () { syncTimer = null; sync(); }, Math.max(0, lastSync + COMMIT_EVERY_MS - Date.now()));
    }

    /* -- the LMS connection -- */

    function findAPI(win) {
      for (var level = 0; win && level < 500; level += 1) {
        try { if (win[v.api]) return win[v.api]; } catch (e) { /* cross-origin frame: keep climbing */ }
        if (win.parent === win) break;
        win = win.parent;
      }
      return null;
    }

    function discover() {
      var found = findAPI(window);
      if (!found && window.opener) {
        try { found = findAPI(window.opener); } catch (e) { found = null; }
      }
      return found;
    }

    function call(name, a, b) {
      try {
        var result = b === undefined ? api[v[name]](a) : api[v[name]](a, b);
        return String(result) === 'true' && lastError() === 0;
      } catch (e) {
        return false;
      }
    }

    function lastError() {
      try { return parseInt(api[v.error](), 10) || 0; } catch (e) { return 0; }
    }

    function get(name) {
      try { return String(api[v.get](name) || ''); } catch (e) { return ''; }
    }

    function connect() {
      if (session !== 'none') return session === 'open';
      api = api || discover();
      if (!api) { ui.status('scorm_no_lms'); return false; }
      if (!call('init', '')) { failing = true; ui.status('scorm_save_failed'); return false; }
      session = 'open';
      if (!failing) ui.status('');
      opened();
      return true;
    }

    function opened() {
      initial = { entry: get(v.entry), location: get(v.location), status: get(v.status) };
      var raw = parseFloat(get(v.score + 'raw'));
      best = {
        status: initial.status, success: config.api === '2004' ? get('cmi.success_status') : '',
        score: isNaN(raw) ? null : raw, progress: config.api === '2004' ? parseFloat(get('cmi.progress_measure')) || 0 : 0
      };
      learner = get(v.learner);
      if (learner) {
        /* The browser's copy of this learner, not the one kept under 'local' while no LMS answered:
           that may be another learner's who used this browser before; only what was typed on this
           page before the LMS answered is taken over. */
        var typedHere = local && local.at >= started ? local : null;
        local = readMirror();
        if (typedHere && (!local || typedHere.at > local.at)) local = typedHere;
      }
      var before = JSON.stringify(state);
      state = merge(local, decode(get('cmi.suspend_data')));
      if (JSON.stringify(state) !== before) listeners.forEach(function (callback) { callback(); });
      mirror();
    }

    /* Write everything that changed, the queued interactions, then commit; on any failure keep the
       state locally, tell the learner once, and try again later. */
    function sync(ending) {
      clearTimeout(syncTimer);
      syncTimer = null;
      if (session === 'closed') return false;
      lastSync = Date.now();
      if (!connect()) { retryLater(); return false; }
      var ok = true;
      values(ending).forEach(function (pair) {
        if (written[pair[0]] === pair[1]) return;
        if (pair[0] === 'cmi.suspend_data') { if (!writeSuspend(pair[1])) { ok = false; shrink(); } }
        else if (call('set', pair[0], pair[1])) written[pair[0]] = pair[1];
        else ok = false;
      });
      /* Interactions are a journal an LMS may refuse (optional in SCORM 1.2): one it rejects is
         dropped, and what counts (status, score, suspend_data) is committed all the same. */
      while (ok && queue.length) writeInteraction(queue.shift());
      ok = ok && call('commit', '');
      if (ok) recovered(); else failed();
      return ok;
    }

    function failed() {
      failing = true;
      ui.status('scorm_save_failed');
      retryLater();
    }

    function recovered() {
      if (failing) ui.status('scorm_saved_again', true);
      failing = false;
      if (local) local.lms = Date.now();
    }

    function retryLater() {
      if (retryTimer || session === 'closed') return;
      retryTimer = setTimeout(function () { retryTimer = null; sync(); }, RETRY_MS);
    }

    /* Write suspend_data and read it back. An LMS that cuts it short instead of refusing it has shown
       its real limit: the record is encoded again to fit it, so it stays readable. */
    function writeSuspend(text) {
      for (var tries = 0; tries < 3; tries += 1) {
        if (!call('set', 'cmi.suspend_data', text)) return false;
        var back = get('cmi.suspend_data');
        if (!back || back.length >= text.length || text.indexOf(back) !== 0) {
          written['cmi.suspend_data'] = text;
          return true;
        }
        limit = back.length;
        text = encode();
      }
      return false;
    }

    /* An LMS that rejects suspend_data may enforce a smaller limit than promised: ask for less. */
    function shrink() { limit = Math.max(1024, Math.floor(limit * 0.75)); delete written['cmi.suspend_data']; }

    function finish() {
      if (session === 'closed') return;
      sync(true);
      if (session === 'open') call('finish', '');
      session = 'closed';
      clearTimeout(retryTimer);
      clearTimeout(syncTimer);
    }

    /* -- what the LMS records -- */

    function values(ending) {
      var p = progress();
      var pairs = [];
      /* A score only once every check is answered: a partial one would read as a final "failed" to an
         LMS that compares it with the mastery score (Moodle does so on LMSFinish). */
      if (p.score !== null && (best.score === null || p.score > best.score)) best.score = p.score;
      if (config.api === '1.2') {
        best.status = higher(best.status, p.done ? (p.scored ? (p.passed ? 'passed' : 'failed') : 'completed') : 'incomplete');
        pairs.push([v.status, best.status]);
      } else {
        best.status = higher(best.status, p.done ? 'completed' : 'incomplete');
        best.success = higher(best.success, p.scored && p.done ? (p.passed ? 'passed' : 'failed') : 'unknown');
        best.progress = best.status === 'completed' ? 1 : Math.max(best.progress, Math.round(p.fraction * 100) / 100);
        pairs.push([v.status, best.status], ['cmi.success_status', best.success], ['cmi.progress_measure', String(best.progress)]);
      }
      if (best.score !== null) {
        pairs.push([v.score + 'min', '0'], [v.score + 'max', '100'], [v.score + 'raw', String(best.score)]);
        if (config.api === '2004') pairs.push([v.score + 'scaled', String(best.score / 100)]);
      }
      if (location) pairs.push([v.location, location]);
      pairs.push(['cmi.suspend_data', encode()]);
      /* Always suspend, also once completed: with 'normal' an LMS may start a fresh attempt on the
         next launch and hand back empty suspend_data, and the learner's reflections would be gone. */
      pairs.push([v.exit, 'suspend']);
      pairs.push([v.session, duration(Date.now() - started)]);
      return pairs;
    }

    /* Of two statuses, the one further along (the newer of two as far along): incomplete, then
       completed or failed, then passed; for success_status unknown, failed, passed. */
    function higher(held, now) {
      var rank = { passed: 2, completed: 1, failed: 1 };
      return (rank[held] || 0) > (rank[now] || 0) ? held : now;
    }

    function progress() {
      var checks = config.checks.map(function (c) { return c[0]; });
      var answered = checks.filter(function (id) { return state.checks[id]; });
      var correct = answered.filter(function (id) { return state.checks[id].ok === true; });
      var seen = config.modules.filter(function (id) { return state.seen.indexOf(id) >= 0; });
      var scored = /checks/.test(config.rule) && checks.length > 0;
      var pages = /pages/.test(config.rule) || !scored;
      var all = checks.length > 0 && answered.length === checks.length;
      var score = all ? Math.round(100 * correct.length / checks.length) : null;
      return {
        scored: scored,
        done: (!pages || seen.length === config.modules.length) && (!scored || all),
        score: score,
        passed: Math.max(score === null ? -1 : score, best.score === null ? -1 : best.score) >= config.mastery,
        fraction: (seen.length + answered.length) / Math.max(1, config.modules.length + checks.length)
      };
    }

    function check(detail) {
      if (!detail || !config.checks.some(function (c) { return c[0] === detail.id; })) return;
      state.checks[detail.id] = { r: detail.response.slice(), ok: detail.correct === true };
      queue.push({ n: null, detail: detail, at: new Date() });
      changed();
    }

    function writeInteraction(item) {
      if (item.n === null) item.n = parseInt(get('cmi.interactions._count'), 10) || 0;
      var d = item.detail;
      var base = 'cmi.interactions.' + item.n + '.';
      var pairs = [[base + 'id', d.id], [base + 'type', 'choice']];
      if (config.api === '2004') pairs.push([base + 'description', String(d.question || '').slice(0, 250)]);
      pairs.push(
        [base + v.response, letters(d.response)],
        [base + 'correct_responses.0.pattern', letters(d.correctOptions || [])],
        [base + 'result', d.correct ? 'correct' : v.wrong],
        [base + 'weighting', '1'],
        [base + v.time, config.api === '2004' ? timestamp(item.at) : clock(item.at)]
      );
      return pairs.every(function (pair) { return call('set', pair[0], pair[1]); });
    }

    function letters(indices) {
      return indices.map(function (i) { return 'abcdefghijklmnopqrstuvwxyz'.charAt(i); }).join(v.separator);
    }

    /* -- suspend_data: [1, seen, loc, {check: "ab+"}, {reflection: "text"}, name, time] as compact JSON.
       When it would exceed the limit, the longest answers are shortened (ending in an ellipsis) until
       it fits; the browser keeps them in full and the learner is offered a download. -- */

    function encode() {
      var mine = portion();
      var text = serialise(mine, mine.answers);
      cut = [];
      if (text.length > limit) {
        var shortened = fit(mine, limit - serialise(mine, blank(mine.answers)).length);
        text = serialise(mine, shortened);
      }
      ui.truncated(cut.length > 0, download);
      return text;
    }

    function portion() {
      var answers = {};
      var checks = {};
      config.reflections.forEach(function (id) { if (state.answers[id]) answers[id] = state.answers[id]; });
      config.checks.forEach(function (c) {
        var saved = state.checks[c[0]];
        if (saved) checks[c[0]] = letters(saved.r || []).split(v.separator).join('') + (saved.ok ? '+' : '-');
      });
      return {
        seen: config.modules.filter(function (id) { return state.seen.indexOf(id) >= 0; }),
        loc: config.modules.indexOf(state.loc) >= 0 ? state.loc : '',
        checks: checks,
        answers: answers,
        name: state.name.slice(0, config.nameMax)
      };
    }

    function serialise(mine, answers) {
      return JSON.stringify([1, mine.seen, mine.loc, mine.checks, answers, mine.name, Date.now().toString(36)]);
    }

    function blank(answers) {
      var empty = {};
      Object.keys(answers).forEach(function (id) { empty[id] = ''; });
      return empty;
    }

    /* Share the room left among the answers: short ones keep everything, long ones an equal cap. */
    function fit(mine, room) {
      var ids = Object.keys(mine.answers);
      var sizes = ids.map(function (id) { return JSON.stringify(mine.answers[id]).length - 2; });
      var cap = Math.max(0, room);
      var sorted = sizes.slice().sort(function (a, b) { return a - b; });
      var left = room;
      for (var i = 0; i < sorted.length; i += 1) {
        var even = Math.floor(left / (sorted.length - i));
        if (sorted[i] > even) { cap = even; break; }
        left -= sorted[i];
        cap = sorted[i];
      }
      var answers = {};
      ids.forEach(function (id, index) {
        if (sizes[index] <= cap) { answers[id] = mine.answers[id]; return; }
        answers[id] = shorten(mine.answers[id], cap - 1) + ELLIPSIS;
        cut.push(id);
      });
      return answers;
    }

    function shorten(text, room) {
      var chars = Array.from(text).slice(0, Math.max(0, room));
      while (chars.length && JSON.stringify(chars.join('')).length - 2 > room) chars.pop();
      return chars.join('');
    }

    function decode(text) {
      try {
        var data = parse(text) || repair(text);
        if (!Array.isArray(data) || data[0] !== 1) return null;
        var checks = {};
        Object.keys(data[3] || {}).forEach(function (id) {
          var code = String(data[3][id]);
          checks[id] = {
            r: Array.from(code.slice(0, -1)).map(function (ch) { return ch.charCodeAt(0) - 97; }),
            ok: code.slice(-1) === '+'
          };
        });
        return { seen: data[1] || [], loc: data[2] || '', checks: checks, answers: data[4] || {}, name: data[5] || '', t: parseInt(data[6], 36) || 0 };
      } catch (e) {
        return null;
      }
    }

    function parse(text) {
      try { return JSON.parse(text); } catch (e) { return null; }
    }

    /* A record an LMS cut short (when it was stored, or by an earlier runtime), read from the longest
       start of it that reads as a record once its open brackets are closed. An answer cut in the middle ends
       in an ellipsis, as one shortened to fit does. */
    function repair(text) {
      var open = [];
      var inString = false;
      var commas = [];
      for (var i = 0; i < text.length; i += 1) {
        var ch = text.charAt(i);
        if (inString) { if (ch === '\\') i += 1; else if (ch === '"') inString = false; }
        else if (ch === '"') inString = true;
        else if (ch === '[' || ch === '{') open.push(ch === '[' ? ']' : '}');
        else if (ch === ']' || ch === '}') open.pop();
        else if (ch === ',') commas.push([i, open.slice()]);
      }
      var close = function (stack) { return stack.slice().reverse().join(''); };
      var tries = [(inString ? text.replace(/\\(u[0-9a-fA-F]{0,3})?$/, '') + ELLIPSIS + '"' : text) + close(open)];
      for (var c = commas.length - 1; c >= 0 && tries.length < 40; c -= 1) tries.push(text.slice(0, commas[c][0]) + close(commas[c][1]));
      for (var t = 0; t < tries.length; t += 1) {
        var data = parse(tries[t]);
        if (data) return data;
      }
      return null;
    }

    /* The LMS copy of this SCO's part wins when it is newer than the browser's copy; an answer the
       LMS holds shortened is taken from the browser when the browser's text begins with it. */
    function merge(record, lms) {
      var merged = normalise(record && record.state);
      if (!lms || (record && record.at > lms.t)) return merged;
      config.reflections.forEach(function (id) {
        var full = merged.answers[id] || '';
        var kept = lms.answers[id] || '';
        var shortened = kept.slice(-1) === ELLIPSIS && full.indexOf(kept.slice(0, -1)) === 0;
        if (kept && !shortened) merged.answers[id] = kept;
        else if (!kept) delete merged.answers[id];
      });
      config.checks.forEach(function (c) {
        if (lms.checks[c[0]]) merged.checks[c[0]] = lms.checks[c[0]]; else delete merged.checks[c[0]];
      });
      lms.seen.forEach(function (id) { if (merged.seen.indexOf(id) < 0) merged.seen.push(id); });
      if (lms.loc) merged.loc = lms.loc;
      if (lms.name) merged.name = lms.name;
      return merged;
    }

    /* -- the browser's copy, per learner -- */

    function mirrorKey() { return 'cursus-scorm:' + config.course + ':' + (learner || 'local'); }

    function readMirror() {
      try {
        var record = JSON.parse(window.localStorage.getItem(mirrorKey()));
        return record && record.state ? record : null;
      } catch (e) {
        return null;
      }
    }

    function mirror() {
      local = { v: 1, at: Date.now(), state: state };
      try { window.localStorage.setItem(mirrorKey(), JSON.stringify(local)); } catch (e) { /* storage off: memory only */ }
    }

    /* -- the learner's side: resume offer, messages, download -- */

    function offerResume(doc) {
      var where = initial.location;
      if (!where || initial.entry === 'ab-initio' || offerResume.done) return;
      var page = where.split('#')[0];
      var here = (doc.defaultView.location.pathname.split('/').pop() || '');
      if (page === here && where.indexOf('#') < 0) return;
      offerResume.done = true;
      ui.resume(function () {
        var frame = document.getElementById('cursus-frame');
        if (frame && page !== here) { frame.src = where; return; }
        if (page !== here) { doc.defaultView.location.href = where; return; }
        var target = doc.getElementById(where.split('#')[1]);
        if (target) { target.setAttribute('tabindex', '-1'); target.focus({ preventScroll: true }); target.scrollIntoView({ block: 'start' }); }
      });
    }

    function download() {
      var lines = [];
      var frame = document.getElementById('cursus-frame');
      var docs = [document];
      try { if (frame && frame.contentDocument) docs.push(frame.contentDocument); } catch (e) { /* not ours */ }
      config.reflections.forEach(function (id) {
        if (!state.answers[id]) return;
        var question = docs.map(function (d) { return d.getElementById(id + '-question'); }).filter(Boolean)[0];
        lines.push('## ' + (question ? question.textContent.replace(/\s+/g, ' ').trim() : id), '', state.answers[id], '');
      });
      var link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([lines.join('\n')], { type: 'text/markdown;charset=utf-8' }));
      link.download = config.strings.scorm_answers_file + '.md';
      document.body.appendChild(link);
      link.click();
      link.remove();
    }
  }

  /* The messages a learner sees: one status line, the resume offer, the shortened-answers notice. */
  function messages() {
    var box = null;
    function area() {
      if (box) return box;
      box = document.createElement('div');
      box.className = 'scorm-messages';
      box.setAttribute('style', 'margin:0;padding:0 1rem;font:inherit;');
      var anchor = document.querySelector('main') || document.body;
      anchor.insertBefore(box, anchor.firstChild);
      return box;
    }
    function part(name, role) {
      var found = area().querySelector('[data-scorm="' + name + '"]');
      if (found) return found;
      found = document.createElement('div');
      found.setAttribute('data-scorm', name);
      found.setAttribute('role', role);
      found.setAttribute('style', 'margin:.5rem 0;padding:.5rem .75rem;border-left:4px solid #b35c00;background:#fff6e5;color:#222;');
      found.hidden = true;
      area().appendChild(found);
      return found;
    }
    function button(label, action) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = label;
      b.setAttribute('style', 'margin:.25rem .5rem 0 0;');
      b.addEventListener('click', action);
      return b;
    }
    function whenReady(action) {
      if (document.body) action(); else document.addEventListener('DOMContentLoaded', action);
    }
    var timer = null;
    return {
      status: function (key, passing) {
        whenReady(function () {
          var line = part('status', 'status');
          clearTimeout(timer);
          line.textContent = key ? config.strings[key] : '';
          line.hidden = !key;
          if (passing) timer = setTimeout(function () { line.hidden = true; }, 5000);
        });
      },
      truncated: function (show, download) {
        whenReady(function () {
          var note = part('truncated', 'note');
          if (show && note.hidden) {
            note.textContent = config.strings.scorm_truncated + ' ';
            note.appendChild(button(config.strings.scorm_download, download));
          }
          note.hidden = !show;
        });
      },
      resume: function (go) {
        whenReady(function () {
          var offer = part('resume', 'region');
          offer.setAttribute('aria-label', config.strings.scorm_resume);
          offer.textContent = config.strings.scorm_resume + ' ';
          offer.appendChild(button(config.strings.scorm_resume_button, function () { offer.hidden = true; go(); }));
          offer.appendChild(button(config.strings.scorm_resume_dismiss, function () { offer.hidden = true; }));
          offer.hidden = false;
        });
      }
    };
  }

  /* ---- helpers ---- */

  function normalise(raw) {
    raw = raw && typeof raw === 'object' ? raw : {};
    var object = function (x) { return x && typeof x === 'object' && !Array.isArray(x) ? x : {}; };
    return {
      v: 1,
      answers: object(raw.answers),
      checks: object(raw.checks),
      seen: Array.isArray(raw.seen) ? raw.seen.slice() : [],
      loc: typeof raw.loc === 'string' ? raw.loc : '',
      name: typeof raw.name === 'string' ? raw.name : ''
    };
  }

  function copy(value) { return JSON.parse(JSON.stringify(value)); }

  function pad(n, width) { return String(n).padStart(width || 2, '0'); }

  function duration(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    s = s % 60;
    return config.api === '2004' ? 'PT' + h + 'H' + m + 'M' + s + 'S' : pad(h, 4) + ':' + pad(m) + ':' + pad(s);
  }

  function clock(date) { return pad(date.getHours()) + ':' + pad(date.getMinutes()) + ':' + pad(date.getSeconds()); }

  function timestamp(date) {
    return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate()) + 'T' + clock(date);
  }
})();
