"""The native RTSP/RTP ingest engine (``--ingest rtp``): one I/O thread for every
camera, RTSP over TCP parsed in Python, H.264/H.265 depacketized and written as
MPEG-TS segments without FFmpeg. See docs/recorder.md ("The RTP engine")."""
