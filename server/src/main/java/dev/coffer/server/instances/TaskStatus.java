package dev.coffer.server.instances;

/**
 * What long operation an instance is in (Trove's InstanceTasks). Error tasks make the instance show
 * ERROR until deleted or reset.
 */
public enum TaskStatus {
  NONE(false),
  BUILDING(false),
  REBOOTING(false),
  RESIZING(false),
  DELETING(false),
  PROMOTING(false),
  EJECTING(false),
  DETACHING(false),
  UPGRADING(false),
  BUILDING_ERROR(true),
  REBOOTING_ERROR(true),
  DELETING_ERROR(true),
  PROMOTION_ERROR(true),
  EJECTION_ERROR(true),
  UPGRADING_ERROR(true);

  private final boolean error;

  TaskStatus(boolean error) {
    this.error = error;
  }

  public boolean isError() {
    return error;
  }
}
