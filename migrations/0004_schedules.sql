CREATE TABLE `schedule_starts` (
	`schedule_id` text NOT NULL,
	`due_ms` integer NOT NULL,
	`trigger` text NOT NULL,
	`run_ids_json` text,
	`outcome` text NOT NULL,
	`coalesced` integer NOT NULL,
	`reason` text,
	`at_ms` integer NOT NULL,
	PRIMARY KEY(`schedule_id`, `due_ms`)
);
--> statement-breakpoint
CREATE TABLE `schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`created_at_ms` integer NOT NULL,
	`name` text NOT NULL,
	`cron` text NOT NULL,
	`timezone` text NOT NULL,
	`enabled` integer NOT NULL,
	`start_json` text NOT NULL,
	`since_ms` integer NOT NULL,
	`last_due_ms` integer
);
--> statement-breakpoint
CREATE INDEX `schedules_created_at_ms_idx` ON `schedules` (`created_at_ms`,`id`);