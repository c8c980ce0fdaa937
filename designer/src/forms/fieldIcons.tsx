/** An icon per field type (the palette and the canvas cards). */
import type { ReactNode } from 'react';
import {
  AimOutlined, ApartmentOutlined, BarcodeOutlined, CalendarOutlined, CheckSquareOutlined, ClockCircleOutlined,
  DollarOutlined, EditOutlined, EnvironmentOutlined, FieldNumberOutlined, FileTextOutlined, FontSizeOutlined,
  LinkOutlined, MailOutlined, OrderedListOutlined, PaperClipOutlined, PercentageOutlined, PhoneOutlined,
  PictureOutlined, SwapOutlined, TableOutlined, TagsOutlined, TeamOutlined, UnorderedListOutlined, UserOutlined,
} from '@ant-design/icons';

const ICONS: Record<string, ReactNode> = {
  text: <FontSizeOutlined />, textarea: <FileTextOutlined />, number: <FieldNumberOutlined />, money: <DollarOutlined />,
  percent: <PercentageOutlined />, date: <CalendarOutlined />, datetime: <ClockCircleOutlined />, boolean: <CheckSquareOutlined />,
  select: <UnorderedListOutlined />, multiselect: <OrderedListOutlined />, tags: <TagsOutlined />, phone: <PhoneOutlined />,
  email: <MailOutlined />, url: <LinkOutlined />, relation: <SwapOutlined />, subtable: <TableOutlined />,
  autonumber: <BarcodeOutlined />, user: <UserOutlined />, department: <ApartmentOutlined />, attachment: <PaperClipOutlined />,
  image: <PictureOutlined />, signature: <EditOutlined />, address: <EnvironmentOutlined />, location: <AimOutlined />,
};

export const fieldIcon = (type: string): ReactNode => ICONS[type] ?? <TeamOutlined />;
