// Upload with drag and drop and a progress bar; the server answers with an HTML fragment.
(function () {
  "use strict";
  function init() {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var drop = document.getElementById("drop");
    var input = document.getElementById("file-input");
    var progress = document.getElementById("progress");
    var bar = progress.querySelector(".bar");
    var label = progress.querySelector(".label");
    var result = document.getElementById("result");
    var limit = parseInt(form.dataset.limit, 10);
    var csrf = document.body.dataset.csrf;

    function show(html) {
      result.innerHTML = html;
      if (window.htmx) { window.htmx.process(result); }
    }
    function message(text) {
      var div = document.createElement("div");
      div.className = "result error-box";
      div.setAttribute("role", "alert");
      div.setAttribute("data-testid", "upload-error");
      div.textContent = text;
      result.replaceChildren(div);
    }
    function send(file) {
      if (!file) return;
      if (file.size > limit) {
        message("文件“" + file.name + "”超过" + Math.round(limit / 1048576) + "MB的上限，未上传。绩效自评工作簿通常不超过1MB，请删除无关内容后再提交。");
        return;
      }
      var data = new FormData();
      data.append("csrf_token", csrf);
      data.append("file", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      progress.hidden = false;
      bar.style.width = "0%";
      label.textContent = "正在上传 " + file.name;
      result.innerHTML = "";
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          var pct = Math.round(e.loaded / e.total * 100);
          bar.style.width = pct + "%";
          label.textContent = pct < 100 ? "正在上传 " + pct + "%" : "已上传，正在评分……";
        }
      };
      xhr.upload.onload = function () { label.textContent = "已上传，正在评分……"; };
      xhr.onload = function () {
        progress.hidden = true;
        if (xhr.status === 401) { window.location = "/login"; return; }
        show(xhr.responseText);
        var history = document.getElementById("history");
        if (history && window.htmx) { window.htmx.trigger(history, "refresh"); }
      };
      xhr.onerror = function () {
        progress.hidden = true;
        message("上传失败：网络连接中断。请检查网络后重试。");
      };
      xhr.send(data);
      input.value = "";
    }
    input.addEventListener("change", function () { send(input.files[0]); });
    ["dragenter", "dragover"].forEach(function (t) {
      drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) { send(e.dataTransfer.files[0]); }
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); send(input.files[0]); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
