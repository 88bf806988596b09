package dev.coffer.server.capacity;

import dev.coffer.server.identity.Principal;
import dev.coffer.server.instances.Instance;
import dev.coffer.server.instances.InstanceRepository;
import dev.coffer.server.instances.InstanceService;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Forecasts from volume samples: one instance's, or a whole project's storage needs. */
public final class CapacityService {
  /** The horizons of the project-wide "storage needed in N days". */
  public static final List<Integer> HORIZON_DAYS = List.of(30, 90);

  private final VolumeSamples samples;
  private final InstanceService service;
  private final InstanceRepository instances;
  private final CapacitySettings settings;

  public CapacityService(
      VolumeSamples samples,
      InstanceService service,
      InstanceRepository instances,
      CapacitySettings settings) {
    this.samples = samples;
    this.service = service;
    this.instances = instances;
    this.settings = settings;
  }

  public Map<String, Object> instance(Principal principal, String id) {
    Instance instance = service.get(principal, id);
    List<VolumeSample> window = samples.since(List.of(id), windowStart());
    return view(instance, forecast(instance, window));
  }

  public Map<String, Object> project(String projectId) {
    List<Instance> live =
        instances.live().stream().filter(i -> i.projectId().equals(projectId)).toList();
    Map<String, List<VolumeSample>> byInstance =
        samples.since(live.stream().map(Instance::id).toList(), windowStart()).stream()
            .collect(Collectors.groupingBy(VolumeSample::instanceId));
    long size = 0;
    long used = 0;
    long[] needed = new long[HORIZON_DAYS.size()];
    List<Map<String, Object>> views = new java.util.ArrayList<>();
    for (Instance instance : live) {
      Forecast f = forecast(instance, byInstance.getOrDefault(instance.id(), List.of()));
      size += f.sizeBytes();
      used += f.usedBytes();
      for (int h = 0; h < needed.length; h++) {
        needed[h] += f.projectedUsedBytes(HORIZON_DAYS.get(h));
      }
      views.add(view(instance, f));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("project_id", projectId);
    out.put("volume_size_bytes", size);
    out.put("volume_used_bytes", used);
    for (int h = 0; h < needed.length; h++) {
      out.put("storage_needed_" + HORIZON_DAYS.get(h) + "d_bytes", needed[h]);
    }
    out.put("instances", views);
    return out;
  }

  private Instant windowStart() {
    return Instant.now().minus(settings.retention());
  }

  private static Forecast forecast(Instance instance, List<VolumeSample> window) {
    return Forecast.of((long) instance.volumeSize() << 30, instance.volumeUsedBytes(), window);
  }

  private static Map<String, Object> view(Instance instance, Forecast f) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("instance_id", instance.id());
    out.put("name", instance.name());
    out.put("volume_size_bytes", f.sizeBytes());
    out.put("volume_used_bytes", f.usedBytes());
    out.put("used_percent", Math.round(f.usedPercent() * 100) / 100.0);
    out.put("samples", f.samples());
    out.put(
        "growth_bytes_per_day",
        f.growthBytesPerDay().isPresent() ? Math.round(f.growthBytesPerDay().getAsDouble()) : null);
    out.put(
        "days_until_full",
        f.daysUntilFull().isPresent()
            ? Math.round(f.daysUntilFull().getAsDouble() * 10) / 10.0
            : null);
    for (int days : HORIZON_DAYS) {
      out.put("projected_used_" + days + "d_bytes", f.projectedUsedBytes(days));
    }
    return out;
  }
}
