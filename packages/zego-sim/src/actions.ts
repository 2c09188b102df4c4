import type { SimClock } from './clock.ts'
import type { CloseRoomCommand, PublishCommand, ReconnectCommand, UnpublishCommand, World } from './world.ts'
import type { MixTask, Room, Stream } from './world-types.ts'

/** The world's stream-side operations at the clock's current simulated time. */
export interface SimActions {
  publish(cmd: PublishCommand): Stream
  unpublish(cmd: UnpublishCommand): Stream
  reconnect(cmd: ReconnectCommand): Stream
  closeRoom(cmd: CloseRoomCommand): Room
  crashTask(cmd: { appId: number; taskId: string }): MixTask
}

export function createActions(world: World, clock: SimClock): SimActions {
  return {
    publish: (cmd) => world.publish(cmd, clock.now()),
    unpublish: (cmd) => world.unpublish(cmd, clock.now()),
    reconnect: (cmd) => world.reconnect(cmd, clock.now()),
    closeRoom: (cmd) => world.closeRoom(cmd, clock.now()),
    crashTask: (cmd) => world.crashTask(cmd.appId, cmd.taskId, clock.now()),
  }
}
