/* Vigie player: hls.js for live and recorded footage, the timeline as seek links.
   Without JavaScript the page still shows the timeline and asks for the reason. */
(function () {
  "use strict";
  var root = document.getElementById("player");
  if (!root) { return; }
  var video = root.querySelector("video");
  var status = document.getElementById("player-status");
  var clock = document.getElementById("player-clock");
  var hls = null;
  var WINDOW_MS = 3600 * 1000; // one playlist covers an hour from the instant sought

  function say(text) { if (status) { status.textContent = text; } }

  function start(url) {
    if (hls) { hls.destroy(); hls = null; }
    say("");
    if (window.Hls && window.Hls.isSupported()) {
      var live = root.dataset.mode === "live";
      // Live: two parts behind the edge (a part is one keyframe interval) rather than
      // hls.js's three, for a latency of a few seconds.
      // A masked camera's live view may answer 503 for a few seconds while its masked
      // encoder starts: the manifest is retried rather than given up.
      hls = new window.Hls(live ?
        { enableWorker: true, liveSyncDurationCount: 2, liveMaxLatencyDurationCount: 5,
          manifestLoadingMaxRetry: 6, manifestLoadingRetryDelay: 1500 } :
        { enableWorker: true,
          // A masked camera's segment is masked on demand: the first takes a while.
          fragLoadingTimeOut: root.dataset.masked ? 90000 : 20000 });
      window.vigieHls = hls; // the image wall's health checks and the tests read it
      hls.on(window.Hls.Events.MANIFEST_PARSED, function () {
        var playing = video.play();
        if (playing && playing.catch) { playing.catch(function () {}); }
      });
      hls.on(window.Hls.Events.ERROR, function (event, data) {
        if (!data.fatal) { return; }
        var text = root.dataset.msgError;
        var xhr = data.networkDetails;
        if (data.details === "levelEmptyError" || data.details === "manifestParsingError") {
          text = root.dataset.msgEmpty || text;
        } else if (xhr && xhr.status === 400 && xhr.responseText) {
          text = xhr.responseText;
        }
        say(text);
      });
      hls.loadSource(url);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url;
      video.play();
    } else {
      say(root.dataset.msgError);
    }
  }

  function playbackUrl(iso) {
    var from = new Date(iso);
    var until = new Date(from.getTime() + WINDOW_MS);
    return root.dataset.playlistUrl + "?start=" + encodeURIComponent(from.toISOString()) +
      "&end=" + encodeURIComponent(until.toISOString()) +
      "&t=" + encodeURIComponent(root.dataset.token) +
      (root.dataset.liftToken ? "&l=" + encodeURIComponent(root.dataset.liftToken) : "");
  }

  function showClock() {
    if (!clock || !hls || !hls.playingDate) { return; }
    clock.textContent = hls.playingDate.toLocaleString(document.documentElement.lang || undefined);
  }

  video.addEventListener("timeupdate", showClock);
  if (root.dataset.mode === "live") {
    start(root.dataset.liveUrl);
    return;
  }
  start(playbackUrl(root.dataset.start));

  // With a reason given, timeline links and the date picker seek without a reload.
  document.querySelectorAll("a.timeline-span[data-at]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      start(playbackUrl(link.dataset.at));
      video.focus();
    });
  });
  var jump = document.getElementById("jump-form");
  if (jump) {
    jump.addEventListener("submit", function (event) {
      var input = jump.querySelector("input[type=datetime-local]");
      if (!input || !input.value) { return; }
      var day = new Date(root.dataset.start);
      var wanted = new Date(input.value);
      if (isNaN(wanted.getTime()) || wanted.toDateString() !== day.toDateString()) { return; }
      event.preventDefault();
      start(playbackUrl(wanted.toISOString()));
    });
  }
}());
