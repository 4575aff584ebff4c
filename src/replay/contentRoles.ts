import type { TopicMapping } from "../config/topicMapping";
import { roleFromContent, roleFromContentApplies } from "../decode/contentRole";
import type { RecordingInspection } from "../sources/mcap/inspectRecording";
import { readMessageBatches } from "../sources/mcap/readRecording";
import type { RecordingReadable } from "../sources/mcap/types";
import type { TopicRole } from "../types";

/**
 * The inspection with each PointCloud2 topic's role as its first message's fields say (a radar
 * cloud: Doppler, RCS, vx/vy fields), which the inspection cannot know from schemas alone and the
 * decode stage will decide the same way from the same message. Reads one message per such topic
 * (none when the recording has no PointCloud2 the mapping leaves open); damage is left to the replay
 * itself to report.
 */
export async function withContentRoles(
  inspection: RecordingInspection,
  source: RecordingReadable,
  mapping: TopicMapping | undefined,
): Promise<RecordingInspection> {
  const pending = new Set(
    inspection.topics.filter((t) => t.supported && t.messageCount > 0 && roleFromContentApplies(t, mapping)).map((t) => t.topic),
  );
  if (pending.size === 0) return inspection;
  const roles = new Map<string, TopicRole>();
  try {
    for await (const batch of readMessageBatches(source, { topics: [...pending], validateCrcs: false })) {
      for (const m of batch) {
        if (!pending.delete(m.topic)) continue;
        const role = roleFromContent(m, mapping);
        if (role !== undefined) roles.set(m.topic, role);
      }
      if (pending.size === 0) break;
    }
  } catch {
    // A damaged file: the replay's own read reports it, with what came before it.
  }
  if (roles.size === 0) return inspection;
  return { ...inspection, topics: inspection.topics.map((t) => (roles.has(t.topic) ? { ...t, sensor: roles.get(t.topic)! } : t)) };
}
