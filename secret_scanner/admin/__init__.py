"""Admin tools for security teams: the offline job validator and the deploy tool.

These run on an administrator's workstation or in CI, never inside the scan task: the task binary never
calls /api/Jobs.
"""

from __future__ import annotations
