// drip: the one script of the site. Progressive enhancement only: every page works
// without it (forms post, buttons submit); with it, the sign-up form guesses the time
// zone, dangerous buttons ask first, and the template editor previews as you type.
"use strict";

(function () {
  function guessTimezone() {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    document.querySelectorAll("[data-timezone-guess]").forEach(function (input) {
      if (!zone || input.dataset.touched) { return; }
      if (input.value === "" || input.value === input.dataset.timezoneGuess) { input.value = zone; }
      input.addEventListener("input", function () { input.dataset.touched = "1"; });
    });
  }

  function confirmDangerousForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });
  }

  function debounce(fn, wait) {
    var timer = null;
    return function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fn, wait);
    };
  }

  function lineCount(text) { return text.split("\n").length; }

  function Editor(form) {
    this.form = form;
    this.textarea = form.querySelector("textarea[data-editor]");
    this.gutter = form.querySelector("[data-gutter]");
    this.previewButton = form.querySelector("[data-preview-button]");
    this.status = document.querySelector("[data-editor-status]");
    this.problems = document.querySelector("[data-editor-problems]");
    this.checkUrl = form.dataset.checkUrl;
    this.badLines = [];
    this.lines = 0;
  }

  Editor.prototype.renderGutter = function () {
    var count = lineCount(this.textarea.value);
    if (count === this.lines && !this.gutterDirty) { return; }
    this.lines = count;
    this.gutterDirty = false;
    var bad = this.badLines;
    var fragment = document.createDocumentFragment();
    for (var i = 1; i <= count; i++) {
      var span = document.createElement("span");
      span.textContent = i + "\n";
      if (bad.indexOf(i) !== -1) { span.className = "bad"; }
      fragment.appendChild(span);
    }
    this.gutter.replaceChildren(fragment);
    this.gutter.scrollTop = this.textarea.scrollTop;
  };

  Editor.prototype.goToLine = function (line) {
    var lines = this.textarea.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    var end = start + (lines[line - 1] || "").length;
    this.textarea.focus();
    this.textarea.setSelectionRange(start, end);
    var lineHeight = parseFloat(window.getComputedStyle(this.textarea).lineHeight) || 20;
    this.textarea.scrollTop = Math.max(0, (line - 5) * lineHeight);
  };

  Editor.prototype.showProblems = function (result) {
    var self = this;
    this.badLines = result.problems.map(function (p) { return p.line; }).filter(Boolean);
    this.gutterDirty = true;
    this.renderGutter();
    if (this.status) {
      this.status.className = "status " + (result.ok ? "status-ok" : "status-bad");
      this.status.textContent = result.summary;
    }
    if (!this.problems) { return; }
    var list = document.createElement("ul");
    list.className = "problems";
    result.problems.forEach(function (problem) {
      var item = document.createElement("li");
      var where = document.createElement(problem.line ? "button" : "span");
      where.className = "where link-button";
      where.textContent = problem.where;
      if (problem.line) {
        where.type = "button";
        where.addEventListener("click", function () { self.goToLine(problem.line); });
      }
      item.appendChild(where);
      item.appendChild(document.createTextNode(problem.message));
      list.appendChild(item);
    });
    this.problems.replaceChildren(list);
  };

  Editor.prototype.check = function () {
    var self = this;
    var body = new FormData(this.form);
    return window.fetch(this.checkUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("check failed: " + response.status); }
      return response.json();
    }).then(function (result) { self.showProblems(result); })
      .catch(function () {
        if (self.status) { self.status.className = "status"; self.status.textContent = "Could not check (offline?)"; }
      });
  };

  Editor.prototype.refresh = function () {
    if (this.previewButton) { this.form.requestSubmit(this.previewButton); }
    if (this.checkUrl) { this.check(); }
  };

  Editor.prototype.start = function () {
    var self = this;
    if (!this.textarea) { return; }
    var later = debounce(function () { self.refresh(); }, 350);
    this.textarea.addEventListener("input", function () {
      if (self.status) { self.status.className = "status"; self.status.textContent = "Checking…"; }
      self.renderGutter();
      later();
    });
    this.textarea.addEventListener("scroll", function () { self.gutter.scrollTop = self.textarea.scrollTop; });
    this.textarea.addEventListener("keydown", function (event) {
      if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        document.execCommand("insertText", false, "  ");
      }
    });
    document.querySelectorAll("[data-goto-line]").forEach(function (button) {
      button.addEventListener("click", function () { self.goToLine(parseInt(button.dataset.gotoLine, 10)); });
    });
    var lesson = this.form.querySelector("[data-preview-lesson]");
    if (lesson) { lesson.addEventListener("change", function () { self.refresh(); }); }
    if (this.gutter) {
      this.badLines = (this.gutter.dataset.badLines || "").split(",").filter(Boolean).map(Number);
      this.gutterDirty = true;
      this.renderGutter();
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    guessTimezone();
    confirmDangerousForms();
    document.querySelectorAll("form[data-live-preview]").forEach(function (form) {
      new Editor(form).start();
    });
  });
})();
