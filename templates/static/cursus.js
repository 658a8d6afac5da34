/* cursus: learner interaction on every page (checks, reflections, progress, search, exports).
 * State goes through window.CursusStore when a runtime (SCORM) provides one, else localStorage.
 * Learner text is only ever placed with textContent or DOM nodes, never parsed as HTML. */
(function () {
  'use strict';

  var body = document.body;
  var courseId = body.getAttribute('data-course') || 'course';
  var pageKind = body.getAttribute('data-page') || '';
  var strings = JSON.parse(document.getElementById('cursus-strings').textContent);
  var store = window.CursusStore || localStore('cursus:' + courseId);
  var state = normalise(store.load());

  function localStore(key) {
    return {
      load: function () {
        try { return JSON.parse(window.localStorage.getItem(key)); } catch (e) { return null; }
      },
      save: function (value) {
        try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* storage full or disabled */ }
      }
    };
  }

  function object(value) {
    return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  }

  function normalise(raw) {
    raw = object(raw);
    return {
      v: 1,
      answers: object(raw.answers),
      checks: object(raw.checks),
      seen: Array.isArray(raw.seen) ? raw.seen.slice() : [],
      loc: typeof raw.loc === 'string' ? raw.loc : '',
      name: typeof raw.name === 'string' ? raw.name : ''
    };
  }

  function save() { store.save(state); }

  function all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) { return key in values ? String(values[key]) : match; });
  }

  function emit(name, detail) { document.dispatchEvent(new CustomEvent(name, { detail: detail })); }

  function text(element) { return element ? element.textContent.replace(/\s+/g, ' ').trim() : ''; }

  /* Reflections: saved as the learner types (debounced), when the field loses focus, and when the page
     is hidden or left (the Back button within the 400 ms would otherwise lose the last words). */

  function setupReflections() {
    var fields = all('textarea[data-reflection]');
    var pending = {}; /* the fields typed in and not saved yet, by id: only those are saved on leaving,
                         so a page left open in another tab never overwrites a newer answer */
    var keep = function (field) {
      var id = field.getAttribute('data-reflection');
      clearTimeout(pending[id]);
      delete pending[id];
      keepAnswer(id, field.value);
    };
    var keepAll = function () {
      fields.forEach(function (field) { if (field.getAttribute('data-reflection') in pending) keep(field); });
    };
    fields.forEach(function (field) {
      var id = field.getAttribute('data-reflection');
      field.addEventListener('input', function () {
        clearTimeout(pending[id]);
        pending[id] = setTimeout(function () { keep(field); }, 400);
      });
      field.addEventListener('blur', function () { keep(field); });
    });
    if (!fields.length) return;
    window.addEventListener('pagehide', keepAll);
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'hidden') keepAll();
    });
  }

  function keepAnswer(id, value) {
    if ((state.answers[id] || '') === value) return;
    if (value) state.answers[id] = value; else delete state.answers[id];
    save();
    all('[data-saved-for="' + id + '"]').forEach(function (status) { status.textContent = strings.saved; });
  }

  /* Knowledge checks: feedback per chosen option, and the result. */

  function checkParts(section) {
    var inputs = all('input[value]', section);
    return {
      id: section.getAttribute('data-check'),
      inputs: inputs,
      feedback: inputs.map(function (input) { return document.getElementById(input.id + '-feedback'); }),
      result: section.querySelector('[data-result-for]')
    };
  }

  function correctOptions(parts) {
    var indices = [];
    parts.feedback.forEach(function (box, index) { if (box && box.getAttribute('data-correct') === 'true') indices.push(index); });
    return indices;
  }

  function setupChecks() {
    all('[data-check]').forEach(function (section) {
      var button = section.querySelector('[data-check-button]');
      if (button) button.addEventListener('click', function () { answerCheck(section); });
      /* Another choice: the feedback on the previous one goes, until the learner checks again. */
      section.addEventListener('change', function () { clearFeedback(section); });
    });
  }

  function clearFeedback(section) {
    var parts = checkParts(section);
    parts.feedback.forEach(function (box) { if (box) box.hidden = true; });
    section.classList.remove('is-correct', 'is-wrong');
    parts.result.textContent = '';
  }

  function answerCheck(section) {
    var parts = checkParts(section);
    var chosen = [];
    parts.inputs.forEach(function (input, index) { if (input.checked) chosen.push(index); });
    if (!chosen.length) {
      parts.result.textContent = strings.choose_first;
      return;
    }
    var correct = correctOptions(parts);
    var ok = chosen.join(',') === correct.join(',');
    state.checks[parts.id] = { r: chosen, ok: ok };
    save();
    showCheck(section, chosen, ok);
    emit('cursus:check', {
      id: parts.id,
      response: chosen,
      correct: ok,
      question: text(section.querySelector('.question')),
      options: parts.inputs.map(function (input) { return text(section.querySelector('label[for="' + input.id + '"]')); }),
      correctOptions: correct,
      goals: (section.getAttribute('data-goals') || '').split(/\s+/).filter(Boolean)
    });
  }

  function showCheck(section, chosen, ok) {
    var parts = checkParts(section);
    parts.inputs.forEach(function (input, index) {
      var picked = chosen.indexOf(index) >= 0;
      input.checked = picked;
      if (parts.feedback[index]) parts.feedback[index].hidden = !picked;
    });
    section.classList.toggle('is-correct', ok === true);
    section.classList.toggle('is-wrong', ok === false);
    parts.result.textContent = ok === true ? strings.correct : ok === false ? strings.not_correct + '. ' + strings.try_again + '.' : '';
  }

  /* Filling every field from the state: on load, after clearing and on cursus:restore. */

  function refill() {
    all('textarea[data-reflection]').forEach(function (field) {
      field.value = state.answers[field.getAttribute('data-reflection')] || '';
    });
    all('[data-check]').forEach(function (section) {
      var saved = state.checks[section.getAttribute('data-check')];
      var chosen = saved && Array.isArray(saved.r) ? saved.r : [];
      showCheck(section, chosen, saved ? saved.ok === true : null);
    });
    all('[data-learner-name]').forEach(function (field) { field.value = state.name; });
    showProgress();
    showAnswers();
  }

  function setupClear() {
    all('[data-clear-answers]').forEach(function (button) {
      button.addEventListener('click', function () {
        if (!window.confirm(strings.clear_confirm)) return;
        state.answers = {};
        state.checks = {};
        state.name = '';
        save();
        refill();
        all('[data-saved-for]').forEach(function (status) { status.textContent = ''; });
        all('[data-cleared]').forEach(function (status) { status.textContent = strings.cleared; });
      });
    });
  }

  /* Progress: module pages mark themselves seen; the start page shows it. */

  function markSeen() {
    var id = body.getAttribute('data-module');
    if (pageKind !== 'module' || !id) return;
    if (state.seen.indexOf(id) < 0) state.seen.push(id);
    state.loc = id;
    save();
    emit('cursus:seen', { module: id });
  }

  function showProgress() {
    var entries = all('[data-module-entry]');
    if (!entries.length) return;
    var done = 0;
    var current = null;
    entries.forEach(function (entry) {
      var id = entry.getAttribute('data-module-entry');
      var seen = state.seen.indexOf(id) >= 0;
      if (seen) done += 1;
      if (id === state.loc) current = entry;
      all('[data-seen-for]', entry).forEach(function (mark) { mark.hidden = !seen; });
    });
    all('[data-progress]').forEach(function (line) { line.textContent = format(strings.progress, { done: done, total: entries.length }); });
    all('[data-continue]').forEach(function (line) {
      var link = line.querySelector('a');
      if (current) {
        var target = current.querySelector('a');
        link.setAttribute('href', target.getAttribute('href'));
        link.textContent = format(strings.continue_module, { module: text(target.querySelector('.module-title')) });
      }
      line.hidden = false;
    });
  }

  /* The 'My reflections' page. */

  function showAnswers() {
    all('[data-print-meta]').forEach(function (line) {
      line.textContent = (state.name.trim() ? strings.name + ': ' + state.name.trim() + ' · ' : '') + strings.date + ': ' + today();
    });
    all('[data-answer-for]').forEach(function (box) {
      var answer = state.answers[box.getAttribute('data-answer-for')] || '';
      box.textContent = answer || strings.not_answered;
      box.classList.toggle('empty', !answer);
    });
  }

  function setupReflectionsPage() {
    all('[data-learner-name]').forEach(function (field) {
      field.addEventListener('input', function () { state.name = field.value; save(); showAnswers(); });
    });
    all('[data-download]').forEach(function (button) {
      button.addEventListener('click', function () { download(button.getAttribute('data-download')); });
    });
    all('[data-print]').forEach(function (button) {
      button.addEventListener('click', function () { window.print(); });
    });
  }

  function collect() {
    return {
      title: strings.my_reflections + ': ' + text(document.querySelector('.site-title')),
      name: state.name.trim(),
      date: today(),
      /* The modules the learner answered in (with their unanswered questions too, for context): what
         is handed in as coursework, not a list of every question of the course. */
      groups: all('[data-export-group]').map(function (group) {
        return {
          title: group.getAttribute('data-export-group'),
          items: all('[data-reflection-item]', group).map(function (item) {
            return { question: text(item.querySelector('[data-question]')), answer: state.answers[item.getAttribute('data-reflection-item')] || '' };
          })
        };
      }).filter(function (group) { return group.items.some(function (item) { return item.answer; }); })
    };
  }

  /* The export's file name: each student's differs (name and date), so a teacher can tell them apart. */
  function fileName(data, ext) {
    var name = fold(data.name).replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
    return [strings.export_file, courseId, name, data.date].filter(Boolean).join('-') + '.' + ext;
  }

  function today() {
    var now = new Date();
    function two(n) { return (n < 10 ? '0' : '') + n; }
    return now.getFullYear() + '-' + two(now.getMonth() + 1) + '-' + two(now.getDate());
  }

  function download(kind) {
    var data = collect();
    var made = kind === 'md' ? markdown(data) : kind === 'html' ? htmlDocument(data) : docx(data);
    var link = document.createElement('a');
    link.href = URL.createObjectURL(made.blob);
    link.download = fileName(data, made.ext);
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
  }

  // Escape what Markdown would read as markup, and only that: an answer handed in as a .md file
  // reads as typed in a plain text editor too. No '<' can open a tag; '&' is escaped only where it
  // would start a character reference, '#' only where it would start a heading.
  function mdEscape(value) {
    return value
      .replace(/[\\`*_\[\]<>|~]/g, '\\$&')
      .replace(/&(?=#?[0-9A-Za-z]+;)/g, '\\&')
      .replace(/^(\s*)#/gm, '$1\\#');
  }

  function markdown(data) {
    var lines = ['# ' + mdEscape(data.title), ''];
    if (data.name) lines.push(strings.name + ': ' + mdEscape(data.name) + '  ');
    lines.push(strings.date + ': ' + data.date, '');
    data.groups.forEach(function (group) {
      lines.push('## ' + mdEscape(group.title), '');
      group.items.forEach(function (item, index) {
        lines.push('### ' + strings.question + ' ' + (index + 1), '', mdEscape(item.question), '');
        lines.push('**' + strings.your_answer + ':**', '');
        var answer = item.answer ? item.answer.split(/\r?\n/).map(mdEscape) : ['*' + strings.not_answered + '*'];
        answer.forEach(function (line) { lines.push('> ' + line); });
        lines.push('');
      });
    });
    return { blob: new Blob([lines.join('\n')], { type: 'text/markdown;charset=utf-8' }), ext: 'md' };
  }

  function htmlDocument(data) {
    var doc = document.implementation.createHTMLDocument(data.title);
    doc.documentElement.lang = document.documentElement.lang;
    var charset = doc.createElement('meta');
    charset.setAttribute('charset', 'utf-8');
    doc.head.insertBefore(charset, doc.head.firstChild);
    var style = doc.createElement('style');
    style.textContent = 'body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.5}.answer{white-space:pre-wrap;border-left:3px solid #0b5f73;padding-left:.75rem}';
    doc.head.appendChild(style);
    function add(parent, tag, value, className) {
      var element = doc.createElement(tag);
      element.textContent = value;
      if (className) element.className = className;
      parent.appendChild(element);
      return element;
    }
    add(doc.body, 'h1', data.title);
    if (data.name) add(doc.body, 'p', strings.name + ': ' + data.name);
    add(doc.body, 'p', strings.date + ': ' + data.date);
    data.groups.forEach(function (group) {
      add(doc.body, 'h2', group.title);
      group.items.forEach(function (item, index) {
        add(doc.body, 'h3', strings.question + ' ' + (index + 1));
        add(doc.body, 'p', item.question);
        add(doc.body, 'p', item.answer || strings.not_answered, 'answer');
      });
    });
    var source = '<!DOCTYPE html>\n' + doc.documentElement.outerHTML + '\n';
    return { blob: new Blob([source], { type: 'text/html;charset=utf-8' }), ext: 'html' };
  }

  /* A minimal Word document: WordprocessingML built as XML DOM, zipped without compression. */

  var W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';

  function docx(data) {
    var doc = document.implementation.createDocument(W, 'w:document', null);
    var body = doc.createElementNS(W, 'w:body');
    doc.documentElement.appendChild(body);
    function paragraph(value, size, bold) {
      var p = doc.createElementNS(W, 'w:p');
      var run = doc.createElementNS(W, 'w:r');
      var props = doc.createElementNS(W, 'w:rPr');
      if (bold) props.appendChild(doc.createElementNS(W, 'w:b'));
      var sz = doc.createElementNS(W, 'w:sz');
      sz.setAttributeNS(W, 'w:val', String(size));
      props.appendChild(sz);
      run.appendChild(props);
      String(value).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').split(/\r?\n/).forEach(function (line, index) {
        if (index) run.appendChild(doc.createElementNS(W, 'w:br'));
        var t = doc.createElementNS(W, 'w:t');
        t.setAttributeNS('http://www.w3.org/XML/1998/namespace', 'xml:space', 'preserve');
        t.textContent = line;
        run.appendChild(t);
      });
      p.appendChild(run);
      body.appendChild(p);
    }
    paragraph(data.title, 36, true);
    if (data.name) paragraph(strings.name + ': ' + data.name, 22, false);
    paragraph(strings.date + ': ' + data.date, 22, false);
    data.groups.forEach(function (group) {
      paragraph(group.title, 28, true);
      group.items.forEach(function (item, index) {
        paragraph(strings.question + ' ' + (index + 1) + ': ' + item.question, 22, true);
        paragraph(item.answer || strings.not_answered, 22, false);
      });
    });
    var xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
    var files = [
      ['[Content_Types].xml', xml + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'],
      ['_rels/.rels', xml + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'],
      ['word/document.xml', xml + new XMLSerializer().serializeToString(doc)]
    ];
    return { blob: new Blob([zip(files)], { type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' }), ext: 'docx' };
  }

  var crcTable = null;

  function crc32(bytes) {
    if (!crcTable) {
      crcTable = [];
      for (var n = 0; n < 256; n++) {
        var c = n;
        for (var k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        crcTable[n] = c >>> 0;
      }
    }
    var crc = 0xffffffff;
    for (var i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
  }

  function zip(files) {
    var encoder = new TextEncoder();
    var parts = [];
    var central = [];
    var offset = 0;
    function header(size) { var view = new DataView(new ArrayBuffer(size)); return view; }
    files.forEach(function (file) {
      var name = encoder.encode(file[0]);
      var data = encoder.encode(file[1]);
      var crc = crc32(data);
      var local = header(30);
      local.setUint32(0, 0x04034b50, true);
      local.setUint16(4, 20, true);
      local.setUint16(8, 0, true);
      local.setUint16(12, 0x21, true); /* 1980-01-01: a fixed date */
      local.setUint32(14, crc, true);
      local.setUint32(18, data.length, true);
      local.setUint32(22, data.length, true);
      local.setUint16(26, name.length, true);
      var entry = header(46);
      entry.setUint32(0, 0x02014b50, true);
      entry.setUint16(4, 20, true);
      entry.setUint16(6, 20, true);
      entry.setUint16(14, 0x21, true);
      entry.setUint32(16, crc, true);
      entry.setUint32(20, data.length, true);
      entry.setUint32(24, data.length, true);
      entry.setUint16(28, name.length, true);
      entry.setUint32(42, offset, true);
      parts.push(local, name, data);
      central.push(entry, name);
      offset += 30 + name.length + data.length;
    });
    var size = central.reduce(function (sum, part) { return sum + part.byteLength; }, 0);
    var end = header(22);
    end.setUint32(0, 0x06054b50, true);
    end.setUint16(8, files.length, true);
    end.setUint16(10, files.length, true);
    end.setUint32(12, size, true);
    end.setUint32(16, offset, true);
    return new Blob(parts.concat(central, [end]));
  }

  /* Search: the index is a script loaded on first use, so that it works from file:// too. */

  function fold(value) {
    return value.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  }

  var SEARCH_SHOWN = 12;

  function setupSearch() {
    var box = document.querySelector('[data-search]');
    if (!box) return;
    var input = box.querySelector('input');
    var status = box.querySelector('.search-status');
    var list = box.querySelector('.search-results');
    var index = null;
    var waiting = false;
    box.hidden = false;
    function load() {
      if (index || waiting) return;
      waiting = true;
      var script = document.createElement('script');
      script.src = box.getAttribute('data-search');
      script.onload = function () {
        index = (window.CursusSearchIndex || []).map(function (entry) {
          return { entry: entry, title: fold(entry.t + ' ' + entry.m), all: fold(entry.t + ' ' + entry.m + ' ' + entry.x) };
        });
        run();
      };
      document.head.appendChild(script);
    }
    function run() {
      var words = fold(input.value).split(/\s+/).filter(function (word) { return word.length > 1; });
      list.textContent = '';
      if (!words.length || !index) { status.textContent = ''; return; }
      var found = index.filter(function (item) {
        return words.every(function (word) { return item.all.indexOf(word) >= 0; });
      });
      found.sort(function (a, b) { return score(b, words) - score(a, words); });
      var shown = found.slice(0, SEARCH_SHOWN);
      status.textContent = !found.length ? strings.no_results
        : found.length === 1 ? strings.search_result_one
        : format(found.length > shown.length ? strings.search_results_first : strings.search_results, { count: found.length, shown: shown.length });
      shown.forEach(function (item) { list.appendChild(result(item.entry, words[0])); });
    }
    input.addEventListener('focus', load);
    input.addEventListener('input', function () { load(); run(); });
    input.addEventListener('keydown', function (event) {
      if (event.key === 'Escape') { input.value = ''; run(); }
    });
    box.querySelector('form').addEventListener('submit', function (event) {
      event.preventDefault();
      var first = list.querySelector('a');
      if (first) first.focus();
    });
  }

  function score(item, words) {
    return words.filter(function (word) { return item.title.indexOf(word) >= 0; }).length;
  }

  function result(entry, word) {
    var item = document.createElement('li');
    var link = document.createElement('a');
    link.href = entry.u;
    link.textContent = entry.t;
    item.appendChild(link);
    if (entry.t !== entry.m) {
      var where = document.createElement('span');
      where.className = 'where';
      where.textContent = entry.m;
      item.appendChild(where);
    }
    var at = fold(entry.x).indexOf(word);
    if (at >= 0) {
      var snippet = document.createElement('span');
      snippet.className = 'snippet';
      var start = Math.max(0, at - 60);
      snippet.textContent = (start ? '… ' : '') + entry.x.slice(start, at + 100) + ' …';
      item.appendChild(snippet);
    }
    return item;
  }

  document.addEventListener('cursus:restore', function () {
    state = normalise(store.load());
    refill();
  });

  setupReflections();
  setupChecks();
  setupClear();
  setupReflectionsPage();
  setupSearch();
  refill();
  markSeen();
  showProgress();
})();
