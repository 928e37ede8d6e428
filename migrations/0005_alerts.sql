CREATE TABLE `alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`created_at_ms` integer NOT NULL,
	`run_id` text NOT NULL,
	`schedule_id` text,
	`api` text NOT NULL,
	`host` text NOT NULL,
	`model` text NOT NULL,
	`region` text NOT NULL,
	`metric` text NOT NULL,
	`value` real NOT NULL,
	`baseline` real NOT NULL,
	`band_lo` real NOT NULL,
	`band_hi` real NOT NULL,
	`reason` text NOT NULL,
	`webhook_state` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alerts_run_region_metric_idx` ON `alerts` (`run_id`,`region`,`metric`);--> statement-breakpoint
CREATE INDEX `alerts_created_idx` ON `alerts` (`created_at_ms`);--> statement-breakpoint
CREATE INDEX `alerts_delivery_idx` ON `alerts` (`webhook_state`,`next_attempt_ms`);